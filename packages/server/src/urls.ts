// Service URLs as messages and logs may show them.

/** A URL without the user and password it may carry (`postgres://u:p@host/db` → `postgres://host/db`). */
export const withoutCredentials = (url: string) => url.replace(/\/\/[^@/]*@/, '//');
