// Stands in, inside the CLI bundle only, for the MCP SDK's Ajv validator (its `_shims` module,
// which the SDK's Server imports at load time, and `validators/ajv`), although a server validates
// only elicitation answers with it. Ajv and its formats are some 290 KB that every start would
// parse and run; here the real validator is required from the installed SDK the first time a
// schema must be checked. test/unit/runtime-ajv-on-first-use.test.ts holds it to the SDK's own.
import { createRequire } from 'node:module';
import process from 'node:process';

const require = createRequire(import.meta.url);
// Not a string literal, so that the bundler leaves this require to Node at run time.
const realModule = ['@modelcontextprotocol/server', 'validators', 'ajv'].join('/');

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

// What the SDK's Node `_shims` module offers besides.
export { AjvJsonSchemaValidator as DefaultJsonSchemaValidator, process };
