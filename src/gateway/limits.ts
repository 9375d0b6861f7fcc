import {
  GraphQLError,
  Kind,
  getNamedType,
  getNullableType,
  isInterfaceType,
  isListType,
  isObjectType,
  type ASTNode,
  type FieldNode,
  type GraphQLField,
  type GraphQLNamedType,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { Config } from '../config';
import { UserError, overLimit } from '../errors';
import { LIMITS } from '../rules';

/**
 * What one request may ask of a gateway, over HTTP and graphql-ws alike. The
 * README's "Request limits" lists these with the errors a client gets.
 */
export const REQUEST_LIMITS = {
  /** Levels of nested fields. The deepest query the schema allows today has 5 (messages → edges → node → sender → id). */
  maxDepth: 10,
  /**
   * Estimated cost (see measure below). The web UI's largest query, its sidebar
   * (100 friends and 20 rooms with their members), costs about 4,400; a page of
   * 100 messages about 1,400. 12,000 so that a list priced by what it can hold
   * (LIST_SIZES) is still served whole, such as `blockedUsers` with every field
   * (10,001 with presence's online and lastSeenAt; 11,001 with mutedUntil too),
   * or 12 rooms with every field of 100 members each. Measured on the
   * 2-core development machine, such queries at about 10,000 answer in 130-270 ms
   * (544 KiB for those 12 rooms; 1.7 MiB for four pages of 100 messages of 4,000
   * characters), where every room with its members had taken 5-8 s.
   */
  maxCost: 12_000,
  /** Aliased fields in an operation, fragments expanded: aliases are how one request repeats a costly field. */
  maxAliases: 20,
  /** What a list without a page-size argument is assumed to hold, unless LIST_SIZES bounds it. */
  listSizeDefault: 10,
  /** An HTTP request body or one WebSocket message, in bytes; ws's default would be 100 MiB. */
  bodyBytesMax: 1024 * 1024,
  /** How long a new socket may take to send connection_init before it is closed with 4408. */
  connectionInitTimeoutMs: 3_000,
  /** Operations in progress on one socket (live subscriptions, queries and mutations not yet answered). */
  operationsPerSocketMax: 50,
  /**
   * Lexical tokens in one document, counted while parsing, so a huge document is
   * refused before it costs parsing and validation time (graphql-js's validation
   * is quadratic in repeated fields). The web UI's largest operation has about
   * 150; Sandbox's introspection query about 300. A worst-case document at the
   * limit costs about 100 ms to validate here, an 850 KB one took 3 s without it.
   */
  maxTokens: 2_000,
} as const;

/** graphql-js parse options for every document, over HTTP (Apollo's parseOptions) and graphql-ws. */
export const PARSE_OPTIONS = { maxTokens: REQUEST_LIMITS.maxTokens } as const;

export interface QueryLimits {
  maxDepth: number;
  maxCost: number;
  maxAliases: number;
  listSizeDefault: number;
  /** The largest page a size argument may ask for: what a variable is assumed to hold. */
  pageMax: number;
}

const QUERY_LIMITS: QueryLimits = { ...REQUEST_LIMITS, pageMax: LIMITS.pageMax };

/**
 * Lists whose size other users set (invitations, friendships), priced by what
 * they can really hold: the per-user bounds the commands keep (LIMITS). A
 * `first` argument, where the list takes one, prices a page instead.
 */
export const LIST_SIZES: Readonly<Record<string, number>> = {
  'Query.rooms': LIMITS.roomsPerUserMax,
  'Query.friends': LIMITS.friendsMax,
  'Query.bookmarks': LIMITS.bookmarksMax,
  'Query.blockedUsers': LIMITS.blocksMax,
  'Room.members': LIMITS.roomMembersMax,
};

/** Page-size arguments: a list (or a connection's edges) is assumed to hold this many items. */
const SIZE_ARGUMENTS = new Set(['first', 'last', 'limit']);

interface Measure {
  /** Levels of nested fields. */
  depth: number;
  cost: number;
  aliases: number;
}

const NOTHING: Measure = { depth: 0, cost: 0, aliases: 0 };

/**
 * A static measure of an operation, before anything runs. Each field costs 1;
 * a list field costs 1 plus its size times what it selects, its size being its
 * `first`/`last` argument (a variable counts as the largest page), else the
 * page size its connection was given (`messages(last: 50) { edges … }`), else
 * what it can hold (LIST_SIZES), else `listSizeDefault`. Fragments are
 * followed, each measured once (a fragment spread many times costs no more
 * work to measure), and cycles count nothing
 * (graphql's own rules refuse them). Introspection (`__schema`, `__type`) is
 * not counted inside: its switch is GRAPHQL_INTROSPECTION, and its standard
 * query nests 13 deep.
 */
class Measurer {
  private readonly fragments = new Map<string, Measure>();
  private readonly visiting = new Set<string>();

  constructor(
    private readonly context: ValidationContext,
    private readonly limits: QueryLimits,
  ) {}

  operation(node: OperationDefinitionNode): Measure {
    return this.selections(node.selectionSet, this.context.getSchema().getRootType(node.operation) ?? undefined, undefined);
  }

  /** `pageSize`: the size argument of the connection these selections are made on, for its lists. */
  private selections(set: SelectionSetNode, type: GraphQLNamedType | undefined, pageSize: number | undefined): Measure {
    let depth = 0;
    let cost = 0;
    let aliases = 0;
    const spread = new Set<string>();
    for (const selection of set.selections) {
      let m: Measure;
      if (selection.kind === Kind.FIELD) m = this.field(selection, type, pageSize);
      else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const on = selection.typeCondition ? this.context.getSchema().getType(selection.typeCondition.name.value) : type;
        m = this.selections(selection.selectionSet, on ?? undefined, pageSize);
      } else {
        // The same fragment twice in one selection is merged when it runs: counted once.
        if (spread.has(selection.name.value)) continue;
        spread.add(selection.name.value);
        m = this.fragment(selection.name.value, pageSize);
      }
      depth = Math.max(depth, m.depth);
      cost += m.cost;
      aliases += m.aliases;
    }
    return { depth, cost, aliases };
  }

  private fragment(name: string, pageSize: number | undefined): Measure {
    const key = `${name}:${pageSize ?? ''}`;
    const known = this.fragments.get(key);
    if (known) return known;
    const definition = this.context.getFragment(name);
    if (!definition || this.visiting.has(key)) return NOTHING;
    this.visiting.add(key);
    const type = this.context.getSchema().getType(definition.typeCondition.name.value) ?? undefined;
    const m = this.selections(definition.selectionSet, type, pageSize);
    this.visiting.delete(key);
    this.fragments.set(key, m);
    return m;
  }

  private field(node: FieldNode, parent: GraphQLNamedType | undefined, pageSize: number | undefined): Measure {
    const aliases = node.alias ? 1 : 0;
    const name = node.name.value;
    const definition = parent && (isObjectType(parent) || isInterfaceType(parent)) ? parent.getFields()[name] : undefined;
    // __typename, introspection, or a field the schema lacks (which graphql's own rules report): counted as a leaf.
    if (!definition || name.startsWith('__') || !node.selectionSet) return { depth: 1, cost: 1, aliases };
    const size = this.sizeArgument(node, definition);
    const list = isListType(getNullableType(definition.type));
    const bound = LIST_SIZES[`${parent!.name}.${name}`];
    let items = 1;
    if (list) items = size !== undefined ? Math.min(size, bound ?? size) : (pageSize ?? bound ?? this.limits.listSizeDefault);
    const inside = this.selections(node.selectionSet, getNamedType(definition.type), list ? undefined : size);
    return { depth: 1 + inside.depth, cost: 1 + items * inside.cost, aliases: aliases + inside.aliases };
  }

  /** The largest page-size argument given or defaulted; a variable counts as the largest page allowed. */
  private sizeArgument(node: FieldNode, definition: GraphQLField<unknown, unknown>): number | undefined {
    let size: number | undefined;
    for (const arg of definition.args) {
      if (!SIZE_ARGUMENTS.has(arg.name)) continue;
      const value = node.arguments?.find((a) => a.name.value === arg.name)?.value;
      let n: number | undefined;
      if (!value) n = typeof arg.defaultValue === 'number' ? arg.defaultValue : undefined;
      else if (value.kind === Kind.INT) n = Number(value.value);
      else if (value.kind === Kind.VARIABLE) n = this.limits.pageMax;
      // Larger pages are refused when the field runs, with a message that says so; the estimate stops at the largest.
      if (n !== undefined) size = Math.max(size ?? 0, Math.min(Math.max(n, 0), this.limits.pageMax));
    }
    return size;
  }
}

function refusal(node: ASTNode, error: UserError): GraphQLError {
  return new GraphQLError(error.message, { nodes: [node], originalError: error });
}

/** Refuses an operation nested too deep, estimated too costly or with too many aliases: BAD_USER_INPUT with a `reason`. */
export function queryLimitsRule(limits: QueryLimits = QUERY_LIMITS): ValidationRule {
  return (context) => {
    const measurer = new Measurer(context, limits);
    return {
      OperationDefinition(node) {
        const { depth, cost, aliases } = measurer.operation(node);
        if (depth > limits.maxDepth) {
          context.reportError(
            refusal(node, overLimit('QUERY_TOO_DEEP', `query too deep: fields nested ${depth} levels, at most ${limits.maxDepth} allowed`, limits.maxDepth, depth)),
          );
        }
        if (cost > limits.maxCost) {
          const shown = Number.isSafeInteger(cost) ? cost : Number.MAX_SAFE_INTEGER;
          context.reportError(
            refusal(
              node,
              overLimit(
                'QUERY_TOO_COSTLY',
                `query too costly: estimated cost ${shown}, at most ${limits.maxCost} allowed ` +
                  `(each field counts 1, a list its page size or the most it can hold, times what it selects); ask for fewer items or fields`,
                limits.maxCost,
                shown,
              ),
            ),
          );
        }
        if (aliases > limits.maxAliases) {
          context.reportError(
            refusal(node, overLimit('TOO_MANY_ALIASES', `too many aliases: ${aliases}, at most ${limits.maxAliases} allowed`, limits.maxAliases, aliases)),
          );
        }
        return false; // measured whole; nothing below needs this rule
      },
    };
  };
}

/**
 * Refuses `__schema` and `__type` (not `__typename`), once each: graphql's
 * NoSchemaIntrospectionCustomRule would also name every field under them.
 */
const noIntrospectionRule: ValidationRule = (context) => ({
  Field(node) {
    const name = node.name.value;
    if (name !== '__schema' && name !== '__type') return;
    context.reportError(
      refusal(node, new UserError('BAD_USER_INPUT', `introspection is turned off on this server; the query asks for ${name}`, { reason: 'INTROSPECTION_DISABLED' })),
    );
  },
});

/**
 * NUL, which PostgreSQL cannot store in text (it refuses the whole statement),
 * and a UTF-16 surrogate without its pair, which is not Unicode text at all.
 */
const INVALID_TEXT = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** What a request with such a string gets, wherever the string is. */
export function invalidText(where: string): UserError {
  return new UserError('BAD_USER_INPUT', `${where} contains a NUL character or an unpaired surrogate; text may not`, {
    reason: 'INVALID_TEXT',
  });
}

/** Refuses string literals in the document that are not valid text (variables: findInvalidText). */
const validTextRule: ValidationRule = (context) => ({
  StringValue(node) {
    if (INVALID_TEXT.test(node.value)) context.reportError(refusal(node, invalidText('a string in the query')));
  },
});

/**
 * Where a request's JSON values (its variables) hold a string, or an object
 * key, that is not valid text: a path such as `variables.input.body`, or null.
 * Walked without recursion: how deep a client nests its JSON is its choice.
 */
export function findInvalidText(value: unknown, root: string): string | null {
  const pending: [unknown, string][] = [[value, root]];
  for (let item = pending.pop(); item; item = pending.pop()) {
    const [v, path] = item;
    if (typeof v === 'string') {
      if (INVALID_TEXT.test(v)) return path;
    } else if (Array.isArray(v)) {
      v.forEach((element, i) => pending.push([element, `${path}[${i}]`]));
    } else if (typeof v === 'object' && v !== null) {
      for (const [key, element] of Object.entries(v)) {
        if (INVALID_TEXT.test(key)) return `${path} (a key)`;
        pending.push([element, `${path}.${key}`]);
      }
    }
  }
  return null;
}

/** The refusal of a request whose variables hold invalid text, or undefined when they do not. */
export function variablesRefusal(variables: unknown): UserError | undefined {
  const where = findInvalidText(variables, 'variables');
  return where === null ? undefined : invalidText(where);
}

/** Apollo's side of variablesRefusal: the operation is refused with HTTP 400 before it runs. */
export const validVariablesPlugin: ApolloServerPlugin<BaseContext> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ request }) {
        const refused = variablesRefusal(request.variables);
        if (refused) throw new GraphQLError(refused.message, { originalError: refused, extensions: { http: { status: 400 } } });
      },
    };
  },
};

/** What a subscription sent over HTTP gets: it is served over graphql-ws only. */
export function subscriptionOverHttp(): UserError {
  return new UserError('BAD_USER_INPUT', 'subscriptions are served over graphql-ws (a WebSocket to this URL), not over HTTP', {
    reason: 'SUBSCRIPTION_OVER_HTTP',
  });
}

/**
 * Apollo would run a subscription's root field as if it were a query, with no
 * event, and fail inside it: refused with HTTP 400 before it runs instead.
 */
export const httpOperationsPlugin: ApolloServerPlugin<BaseContext> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ operation }) {
        if (operation?.operation !== 'subscription') return;
        const refused = subscriptionOverHttp();
        throw new GraphQLError(refused.message, { originalError: refused, extensions: { http: { status: 400 } } });
      },
    };
  },
};

/**
 * The validation rules every request gets beyond graphql's own, over HTTP
 * (Apollo's validationRules) and graphql-ws (its validate) alike.
 */
export function requestRules(config: Pick<Config, 'introspection'>): ValidationRule[] {
  return [queryLimitsRule(), validTextRule, ...(config.introspection ? [] : [noIntrospectionRule])];
}

/** What the (operationsPerSocketMax + 1)th operation in progress on one socket gets. */
export function tooManyOperations(): UserError {
  const max = REQUEST_LIMITS.operationsPerSocketMax;
  return overLimit(
    'TOO_MANY_SUBSCRIPTIONS',
    `too many subscriptions on this connection: at most ${max} operations in progress at once; complete one first`,
    max,
  );
}

/** What an HTTP request body over bodyBytesMax gets (with 413). */
export function bodyTooLarge(): UserError {
  const max = REQUEST_LIMITS.bodyBytesMax;
  return overLimit('REQUEST_TOO_LARGE', `request body too large: at most ${max} bytes (1 MiB)`, max);
}
