import { describe, expect, it } from 'vitest';
import { assertParamNamesAgree, collectTools, type CollectedTool } from '../../scripts/gen/collect.js';

const tool = (name: string, path: string) => ({ definition: { name, rest: { method: 'POST', path } } }) as unknown as CollectedTool;

describe('REST paths', () => {
  it('refuses two names for the parameter at one position, naming both tools', () => {
    expect(() => assertParamNamesAgree([tool('a', '/v1/geo/{key}/add'), tool('b', '/v1/geo/{destination}/store')])).toThrow(
      'b: path parameter {destination} sits where a has {key} (/v1/geo/...); name them alike.',
    );
    expect(() => assertParamNamesAgree([tool('a', '/v1/s/{key}/g/{group}'), tool('b', '/v1/s/{key}/g/{name}/x')])).toThrow(
      /\{name\} sits where a has \{group\}/,
    );
  });

  it('takes the same name at one position, and parameters under different static segments', () => {
    expect(() => assertParamNamesAgree([tool('a', '/v1/s/{key}/x'), tool('b', '/v1/s/{key}/y/{group}'), tool('c', '/v1/h/{destination}')])).not.toThrow();
  });

  it('holds for every tool of the registry', () => {
    expect(() => assertParamNamesAgree(collectTools())).not.toThrow();
  });
});
