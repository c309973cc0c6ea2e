import { DatasetInvalidError } from '@segkit/core';

/** One problem found while reading annotations: where (file and JSON path or line) and what. */
export interface Problem {
  file: string;
  where: string;
  message: string;
}

/** Collects every problem in a file so they can be reported together, and warnings that do not stop the import. */
export class Problems {
  readonly list: Problem[] = [];
  readonly warnings: string[] = [];

  add(file: string, where: string, message: string): void {
    this.list.push({ file, where, message });
  }

  warn(file: string, where: string, message: string): void {
    this.warnings.push(`${file} ${where}: ${message}`);
  }

  /** Throws `E_DATASET_INVALID` listing every problem (on one line, the first 25 in full). */
  throwIfAny(): void {
    if (!this.list.length) return;
    const shown = this.list.slice(0, 25).map((p) => `${p.file} ${p.where}: ${p.message}`);
    const more = this.list.length > 25 ? `; and ${this.list.length - 25} more` : '';
    const err = new DatasetInvalidError(
      `${this.list.length} problem${this.list.length === 1 ? '' : 's'}: ${shown.join('; ')}${more}`,
    );
    Object.assign(err, { problems: this.list });
    throw err;
  }
}
