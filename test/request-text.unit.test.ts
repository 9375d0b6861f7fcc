import { buildSchema, parse, validate } from 'graphql';
import { PARSE_OPTIONS, findInvalidText, requestRules, variablesRefusal } from '../src/gateway/limits';

describe('findInvalidText', () => {
  test('plain, accented, emoji and CJK text is text', () => {
    expect(findInvalidText({ a: 'héllo', b: ['😀 ok', '채팅'], c: { d: 1, e: null, f: true } }, 'variables')).toBeNull();
  });

  test.each([
    ['NUL', { input: { body: 'a\u0000b' } }, 'variables.input.body'],
    ['lone high surrogate', { list: ['ok', 'x\ud83d'] }, 'variables.list[1]'],
    ['lone low surrogate', { s: '\ude00' }, 'variables.s'],
    ['NUL in a key', { 'k\u0000': 1 }, 'variables (a key)'],
  ])('%s is found, with its path', (_what, value, path) => {
    expect(findInvalidText(value, 'variables')).toBe(path);
  });

  test('deep nesting does not overflow the stack', () => {
    let deep: unknown = 'a\u0000';
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(findInvalidText(deep, 'v')).toMatch(/^v(\[0\])+$/);
  });

  test('variablesRefusal says BAD_USER_INPUT with reason INVALID_TEXT', () => {
    expect(variablesRefusal({ x: 'ok' })).toBeUndefined();
    expect(variablesRefusal({ x: '\u0000' })).toMatchObject({ code: 'BAD_USER_INPUT', details: { reason: 'INVALID_TEXT' } });
  });
});

describe('documents', () => {
  const schema = buildSchema('type Query { hello(name: String): String }');
  const rules = requestRules({ introspection: true });

  test('a string literal with NUL is refused by validation', () => {
    const errors = validate(schema, parse('{ hello(name: "a\\u0000") }'), rules);
    expect(errors).toHaveLength(1);
    expect(errors[0].originalError).toMatchObject({ details: { reason: 'INVALID_TEXT' } });
  });

  test('a document over the token limit is refused while parsing', () => {
    const query = `{ ${Array.from({ length: PARSE_OPTIONS.maxTokens }, () => 'hello').join(' ')} }`;
    expect(() => parse(query, PARSE_OPTIONS)).toThrow(/tokens/);
    expect(() => parse('{ hello }', PARSE_OPTIONS)).not.toThrow();
  });
});
