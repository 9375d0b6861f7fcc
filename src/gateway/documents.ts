import { GraphQLError, parse, specifiedRules, validate, type DocumentNode, type GraphQLSchema, type ValidationRule } from 'graphql';
import { PARSE_OPTIONS } from './limits';

/** Most documents kept; past it the oldest is dropped. */
const MAX_DOCUMENTS = 1000;
/** Longer texts are parsed every time: a handful of huge ones must not fill the gateway's memory. */
const MAX_CACHED_TEXT = 10_000;

/**
 * graphql-ws operations' documents, parsed and validated once per text.
 * A subscription keeps its document for its whole life, and every subscriber
 * of a chat UI sends the same text, so sharing one AST among them is most of
 * the memory an idle subscription would otherwise hold (its own tokens and
 * locations). Apollo Server keeps such a cache for HTTP already.
 */
export class DocumentCache {
  private readonly documents = new Map<string, DocumentNode>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly rules: readonly ValidationRule[],
  ) {}

  /** The document, or the syntax or validation errors that refuse it (they end that operation, not the socket). */
  get(query: string): { document: DocumentNode } | { errors: readonly GraphQLError[] } {
    const cached = this.documents.get(query);
    if (cached) return { document: cached };
    let document: DocumentNode;
    try {
      document = parse(query, PARSE_OPTIONS);
    } catch (err) {
      if (err instanceof GraphQLError) return { errors: [err] };
      throw err;
    }
    const errors = validate(this.schema, document, [...specifiedRules, ...this.rules]);
    if (errors.length > 0) return { errors };
    if (query.length <= MAX_CACHED_TEXT) {
      if (this.documents.size >= MAX_DOCUMENTS) this.documents.delete(this.documents.keys().next().value!);
      this.documents.set(query, document);
    }
    return { document };
  }
}
