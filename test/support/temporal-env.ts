import type { ConnectionPlugin } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { SEARCH_ATTRIBUTES } from '../../src/workflows/search-attributes';
import { testServerPath } from './tools';

/**
 * The Java time-skipping test server, started from the project's cached Maven classpath. The SDK
 * gives it 5 s to listen; a cold JVM on a busy 2-core machine can miss that, so starting is retried.
 */
export async function timeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const path = testServerPath();
  let lastError: unknown;
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      const env = await TestWorkflowEnvironment.createTimeSkipping({
        server: { executable: { type: 'existing-path', path } },
        plugins: [gentleKeepalive],
      });
      await env.connection.operatorService.addSearchAttributes({
        namespace: env.namespace ?? 'default',
        searchAttributes: Object.fromEntries(SEARCH_ATTRIBUTES.map((k) => [k.name, 2 /* KEYWORD */])),
      });
      return env;
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

/**
 * grpc-js pings every 30 s by default; the Java server (grpc-java) allows one ping per 5 minutes and
 * answers more with GOAWAY "too_many_pings", which stalls calls for a minute at a time.
 */
const gentleKeepalive: ConnectionPlugin = {
  name: 'gentle-keepalive',
  configureConnection: (options) => ({
    ...options,
    channelArgs: {
      ...(options.channelArgs ?? {}),
      'grpc.keepalive_time_ms': 600_000,
      'grpc.keepalive_permit_without_calls': 0,
    },
  }),
};

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/** Bundling takes seconds; each test process does it once. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({
    workflowsPath: require.resolve('../../src/workflows'),
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {} } as never,
  });
  return bundle;
}
