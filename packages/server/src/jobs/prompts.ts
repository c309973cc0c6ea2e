// Prompts among a project's annotations: find-all's exemplar boxes are what a user showed the model, not objects.
// Exports leave them out; asked for (`includePrompts`), they come in categories of their own, marked as prompts.
import type { AnnotationT } from '../schemas.js';

/** An annotation that is a prompt (a positive or negative exemplar box), not an object. */
export const isPrompt = (a: Pick<AnnotationT, 'promptType'>) => a.promptType !== 'segment';

/** The category an exported prompt goes in: never a label's, so that no loader trains on it as that label. */
export const promptCategory = (a: Pick<AnnotationT, 'promptType'>) =>
  a.promptType === 'negative_exemplar' ? 'negative exemplar (prompt)' : 'positive exemplar (prompt)';
