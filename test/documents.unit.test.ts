import { GraphQLError, buildSchema, type ValidationRule } from 'graphql';
import { DocumentCache } from '../src/gateway/documents';

const schema = buildSchema('type Query { hello(name: String): String }');

test('one text is parsed once: every operation that sends it shares the same document', () => {
  const cache = new DocumentCache(schema, []);
  const first = cache.get('{ hello }');
  const second = cache.get('{ hello }');
  expect('document' in first && 'document' in second && first.document === second.document).toBe(true);
});

test('a syntax error and a validation error come back as errors, and the service rules apply', () => {
  const noHello: ValidationRule = (context) => ({
    Field(node) {
      if (node.name.value === 'hello' && node.arguments?.length) context.reportError(new GraphQLError('no names'));
    },
  });
  const cache = new DocumentCache(schema, [noHello]);
  const messages = (query: string) => {
    const got = cache.get(query);
    return 'errors' in got ? got.errors.map((e) => e.message) : [];
  };
  expect(messages('{ hello ')).toEqual([expect.stringContaining('Syntax Error')]);
  expect(messages('{ nope }')).toEqual([expect.stringContaining('Cannot query field "nope"')]);
  expect(messages('{ hello(name: "x") }')).toEqual(['no names']);
});

test('long texts are not kept: each is parsed again', () => {
  const cache = new DocumentCache(schema, []);
  const long = `{ hello ${' '.repeat(20_000)}}`;
  const first = cache.get(long);
  const second = cache.get(long);
  expect('document' in first && 'document' in second && first.document !== second.document).toBe(true);
});
