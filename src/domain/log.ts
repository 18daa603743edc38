/** What background work logs through: pino (Fastify's logger) in the server, nothing in the CLI. */
export interface Log {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}
export const quietLog: Log = { info() {}, warn() {}, error() {} };
