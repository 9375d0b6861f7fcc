/**
 * GraphQL Code Generator configuration for typed clients, over the committed
 * schema/schema.graphql. The generator itself (@graphql-codegen/cli with the
 * client preset) is not installed yet: its current releases need an npm
 * override, which comes with the typed-client work.
 */
const config = {
  schema: 'schema/schema.graphql',
  documents: ['web/src/**/*.ts', 'web/src/**/*.tsx'],
  ignoreNoDocuments: true,
  generates: {
    'web/src/gql/': { preset: 'client', config: { scalars: { DateTime: 'string' } } },
  },
};

export default config;
