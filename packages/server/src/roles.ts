// Who calls the server: the three roles and the caller a token stands for.

export type Role = 'admin' | 'annotator' | 'viewer';
export const ROLES: readonly Role[] = ['admin', 'annotator', 'viewer'];

/** Who is calling. */
export interface Caller {
  userId: number;
  name: string;
  role: Role;
}
