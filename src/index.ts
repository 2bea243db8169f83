export { RedisMCPServer, type RedisMCPServerOptions } from './server.js';
export { resolveConfig, type Config, type Transport } from './config.js';
export { AppError } from './errors.js';
export { errorTable, type ErrorCode } from '../schema/errors.js';
export { encodeValue, decodeValue } from './redis/codec.js';
export { tools, toolNames, type ToolName } from '../generated/registry.js';
