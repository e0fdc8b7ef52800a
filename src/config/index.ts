export { ConfigError } from "./config-error.js";
export { canonicalName, DIRECTIVES, type DirectiveSpec, isEffective } from "./config-schema.js";
export { parseMemory } from "./memory-units.js";
export { REDIS_70_DEFAULTS } from "./redis-defaults.js";
export {
  type Directive,
  parseCommandLineDirectives,
  parseConfigText,
  ServerConfig,
} from "./server-config.js";
