// Stands in, inside the CLI bundle only, for the MCP SDK's Ajv validator module, which the SDK's
// Server imports at load time although it validates only elicitation answers (this server asks
// for none). Ajv and its formats are some 265 KB that every start would parse and run; here the
// real validator is required from the installed SDK the first time a schema must be checked.
// test/unit/runtime-ajv-on-first-use.test.ts holds it to the SDK's own validator.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
// Not a string literal, so that the bundler leaves this require to Node at run time.
const realModule = ['@modelcontextprotocol/sdk', 'validation', 'ajv'].join('/');

export class AjvJsonSchemaValidator {
  #real;
  #args;

  constructor(...args) {
    this.#args = args;
  }

  getValidator(schema) {
    this.#real ??= new (require(realModule).AjvJsonSchemaValidator)(...this.#args);
    return this.#real.getValidator(schema);
  }
}
