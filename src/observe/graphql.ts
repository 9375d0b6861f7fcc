import { performance } from 'node:perf_hooks';
import type { ApolloServerPlugin } from '@apollo/server';
import {
  Kind,
  execute,
  getOperationAST,
  subscribe,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type FragmentDefinitionNode,
  type GraphQLError,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { Logger } from '../log';
import type { Metrics, OperationType, Transport } from './metrics';

/**
 * The root fields an operation selects, each once, looked through fragments.
 * Labels come from these, never from the client's operationName: only names
 * of the schema pass validation, so the label values are bounded.
 */
export function rootFields(document: DocumentNode, operation: OperationDefinitionNode): string[] {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const fields = new Set<string>();
  const visited = new Set<string>();
  const visit = (selectionSet: SelectionSetNode): void => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) fields.add(selection.name.value);
      else if (selection.kind === Kind.INLINE_FRAGMENT) visit(selection.selectionSet);
      else if (!visited.has(selection.name.value)) {
        visited.add(selection.name.value);
        const fragment = fragments.get(selection.name.value);
        if (fragment) visit(fragment.selectionSet);
      }
    }
  };
  visit(operation.selectionSet);
  return [...fields];
}

/** Counts and times GraphQL operations of both transports, and logs each at debug (never its variables). */
export class GraphqlMetering {
  constructor(
    private readonly metrics: Metrics,
    private readonly log: Logger,
    /** The code a client is shown for an error: the gateway's one translation (toClientError), handed in. */
    private readonly clientCode: (error: GraphQLError) => string,
  ) {}

  private finished(transport: Transport, type: OperationType, fields: readonly string[], outcome: string, startedAt: number): void {
    const seconds = (performance.now() - startedAt) / 1000;
    this.metrics.graphqlOperation(transport, type, fields, outcome, seconds);
    this.log.debug('graphql operation', { transport, type, fields, outcome, ms: Math.round(seconds * 10_000) / 10 });
  }

  /** Apollo Server (HTTP): the outcome is the code of the first error the client got. */
  apolloPlugin<C extends { receivedAt: number }>(): ApolloServerPlugin<C> {
    return {
      requestDidStart: async ({ contextValue }) => {
        let type: OperationType = 'none';
        let fields: string[] = [];
        return {
          didResolveOperation: async ({ document, operation }) => {
            if (!operation) return;
            type = operation.operation;
            fields = rootFields(document, operation);
          },
          willSendResponse: async ({ response }) => {
            const errors = response.body.kind === 'single' ? response.body.singleResult.errors : undefined;
            const outcome = errors?.length ? String(errors[0].extensions?.code) : 'ok';
            this.finished('http', type, fields, outcome, contextValue.receivedAt);
          },
        };
      },
      // A token that could not be checked (PostgreSQL unreachable) fails the request before requestDidStart.
      contextCreationDidFail: async ({ error }) => {
        const outcome = this.clientCode(error as GraphQLError);
        this.metrics.graphqlOperation('http', 'none', [], outcome, 0);
        this.log.debug('graphql operation', { transport: 'http', type: 'none', fields: [], outcome });
      },
    };
  }

  /**
   * graphql-ws's execute and subscribe, timed. Counted are operations that
   * were executed; ones refused before (validation, the socket's limits) are
   * answered by graphql-ws without reaching here.
   */
  websocketExecution(): { execute: typeof execute; subscribe: typeof subscribe } {
    return {
      execute: (args) => this.metered(args, () => execute(args)) as ReturnType<typeof execute>,
      subscribe: (args) => this.metered(args, () => subscribe(args)) as ReturnType<typeof subscribe>,
    };
  }

  private async metered<T>(args: ExecutionArgs, run: () => T | Promise<T>): Promise<T> {
    const startedAt = performance.now();
    const operation = getOperationAST(args.document, args.operationName);
    const type: OperationType = operation?.operation ?? 'none';
    const fields = operation ? rootFields(args.document, operation) : [];
    let outcome = 'INTERNAL_SERVER_ERROR';
    try {
      const result = await run();
      // A subscription that started is a stream; one refused (FORBIDDEN, say) is a result with errors.
      const errors = (result as ExecutionResult).errors;
      outcome = errors?.length ? this.clientCode(errors[0]) : 'ok';
      return result;
    } finally {
      this.finished('ws', type, fields, outcome, startedAt);
    }
  }
}
