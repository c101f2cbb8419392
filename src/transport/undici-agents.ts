/**
 * The two undici dispatchers the transport builds, loaded from their own modules. undici's index loads every
 * dispatcher, the mocks, the caches, fetch and WebSocket: about 100 ms of CPU per thread (measured: about 30 ms
 * for these), which every worker thread paid at start and a short many-object job paid on each of them. The
 * request API (`dispatcher.request`) lives on `Dispatcher.prototype`, where undici's index puts it; it is put
 * there the same way here. Should a later undici 7 move these files, the index is loaded instead, as before.
 */
import { createRequire } from 'node:module';
import type { Agent as UndiciAgent, EnvHttpProxyAgent as UndiciEnvHttpProxyAgent } from 'undici';

const require = createRequire(import.meta.url);

interface Dispatchers {
  Agent: typeof UndiciAgent;
  EnvHttpProxyAgent: typeof UndiciEnvHttpProxyAgent;
}

function load(): Dispatchers {
  try {
    const Agent = require('undici/lib/dispatcher/agent.js') as typeof UndiciAgent;
    const EnvHttpProxyAgent = require('undici/lib/dispatcher/env-http-proxy-agent.js') as typeof UndiciEnvHttpProxyAgent;
    const Dispatcher = require('undici/lib/dispatcher/dispatcher.js') as { prototype: object };
    const api = require('undici/lib/api/index.js') as Record<string, unknown>;
    if (typeof Agent !== 'function' || typeof EnvHttpProxyAgent !== 'function' || typeof api.request !== 'function') {
      throw new Error('unexpected undici layout');
    }
    if (typeof (Dispatcher.prototype as { request?: unknown }).request !== 'function') Object.assign(Dispatcher.prototype, api);
    if (typeof (Agent.prototype as { request?: unknown }).request !== 'function') throw new Error('unexpected undici layout');
    return { Agent, EnvHttpProxyAgent };
  } catch {
    return require('undici') as Dispatchers;
  }
}

export const { Agent, EnvHttpProxyAgent } = load();
