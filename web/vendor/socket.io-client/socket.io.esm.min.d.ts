// Types for the type check of web/js only (.ci/js/tsconfig.json), so the minified client itself
// is not checked. The socket is typed loosely; web/js/socket.js documents what the pages use.
export type Socket = any;
export function io(options?: Record<string, unknown>): Socket;
export function io(uri: string, options?: Record<string, unknown>): Socket;
