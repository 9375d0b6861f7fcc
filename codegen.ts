import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * GraphQL Code Generator (`npm run codegen`): typed documents for the web UI
 * from the graphql() calls in web/src, over the committed schema. The output
 * in web/src/gql is committed; test/codegen.unit.test.ts fails when it is stale.
 */
const config: CodegenConfig = {
  schema: 'schema/schema.graphql',
  documents: ['web/src/**/*.ts'],
  ignoreNoDocuments: false,
  generates: {
    'web/src/gql/': {
      preset: 'client',
      // Fragments are plain shared field lists here, not data masks.
      presetConfig: { fragmentMasking: false },
      config: {
        scalars: { DateTime: 'string' },
        // Documents are typed strings: the browser bundle needs no graphql runtime to send them.
        documentMode: 'string',
        useTypeImports: true,
        enumsAsTypes: true,
      },
    },
  },
};

export default config;
