// One OpenAI-compatible chat endpoint (OpenAI, Azure's compatible route, vLLM, Ollama, llama.cpp server, …)
// through the `openai` package. Retries are ours, not the library's: its wait before a retry cannot be cancelled,
// and a cancelled job must stop at once. 429, 408, 409 and 5xx answers and dropped connections are retried with
// exponential backoff, or after the server's Retry-After when it gives one; at most `parallel` requests run at once.

import OpenAI, { APIConnectionError, APIError, APIUserAbortError } from 'openai';
import type { TokenUsage } from '../optimize/budget';
import type { ChatMessage } from '../optimize/proposer';
import { redact } from './key';

export interface EndpointConfig {
  /** e.g. `https://api.openai.com/v1`, `http://localhost:8000/v1` (vLLM), `http://localhost:11434/v1` (Ollama). */
  baseUrl: string;
  model: string;
  temperature?: number;
  maxTokens?: number;
  /** Per request, including a slow model's whole answer. */
  timeoutMs: number;
  /** Requests in flight at once. */
  parallel: number;
  /** Retries after the first try. */
  maxRetries: number;
  /** First backoff; doubled per retry up to 30 s. */
  backoffMs: number;
  /** A Retry-After longer than this ends the request with an error instead of a wait. */
  maxRetryWaitMs: number;
}

export const ENDPOINT_DEFAULTS = { timeoutMs: 300_000, parallel: 4, maxRetries: 4, backoffMs: 1000, maxRetryWaitMs: 120_000 } as const;

export interface Completion {
  text: string;
  model: string;
  usage: TokenUsage;
  /** The answer stopped at the token limit. */
  truncated: boolean;
}

export interface RetryNotice {
  attempt: number;
  waitMs: number;
  reason: string;
}

/** A request that failed for good; the message names the endpoint and never holds the key. */
export class LlmError extends Error {
  constructor(message: string, readonly status?: number) {
    super(message);
    this.name = 'LlmError';
  }
}

const RETRYABLE = new Set([408, 409, 429]);

/** Milliseconds a `Retry-After` / `retry-after-ms` header asks for, if any. */
export function retryAfterMs(headers: Headers | undefined, nowMs: number = Date.now()): number | undefined {
  const ms = headers?.get('retry-after-ms');
  if (ms && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const value = headers?.get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Admits at most `limit` holders at once, in arrival order. */
class Gate {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(private readonly limit: number) {}

  async run<T>(work: () => Promise<T>, signal: AbortSignal): Promise<T> {
    if (this.active >= this.limit) {
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          this.waiting.splice(this.waiting.indexOf(admit), 1);
          reject(signal.reason);
        };
        const admit = () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        };
        this.waiting.push(admit);
        signal.addEventListener('abort', onAbort, { once: true });
      });
    } else {
      this.active++;
    }
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

export class ChatClient {
  private readonly client: OpenAI;
  private readonly gate: Gate;

  constructor(
    readonly config: EndpointConfig,
    private readonly apiKey: string,
    private readonly onRetry?: (notice: RetryNotice) => void,
  ) {
    // Explicit options throughout, so nothing is taken from OPENAI_* variables, and the library logs nothing.
    this.client = new OpenAI({ apiKey, baseURL: config.baseUrl, timeout: config.timeoutMs, maxRetries: 0, logLevel: 'off', organization: null, project: null });
    this.gate = new Gate(Math.max(1, config.parallel));
  }

  /** One answer to `messages`; cancelled by `signal` at any point (queued, in flight, or waiting to retry). */
  complete(messages: readonly ChatMessage[], signal: AbortSignal): Promise<Completion> {
    return this.gate.run(() => this.withRetries(messages, signal), signal);
  }

  private async withRetries(messages: readonly ChatMessage[], signal: AbortSignal): Promise<Completion> {
    for (let attempt = 0; ; attempt++) {
      signal.throwIfAborted();
      try {
        return await this.once(messages, signal);
      } catch (error) {
        if (signal.aborted || error instanceof APIUserAbortError) throw signal.reason ?? error;
        const retry = this.retryPlan(error, attempt);
        if (!retry) throw this.failure(error);
        this.onRetry?.({ attempt: attempt + 1, waitMs: retry.waitMs, reason: retry.reason });
        await abortableSleep(retry.waitMs, signal);
      }
    }
  }

  private async once(messages: readonly ChatMessage[], signal: AbortSignal): Promise<Completion> {
    const { model, temperature, maxTokens } = this.config;
    // The library leaves its listener on the signal it is given; a signal per request keeps the job's signal clean.
    const request = new AbortController();
    const onAbort = () => request.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    let answer: OpenAI.Chat.Completions.ChatCompletion;
    try {
      answer = await this.client.chat.completions.create(
        { model, messages: messages.map((m) => ({ role: m.role, content: m.content })), ...(temperature !== undefined ? { temperature } : {}), ...(maxTokens !== undefined ? { max_tokens: maxTokens } : {}), stream: false },
        { signal: request.signal },
      );
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    const choice = answer.choices?.[0];
    if (!choice) throw new LlmError(`${this.config.baseUrl} answered without a choice (model ${model})`);
    return {
      text: choice.message?.content ?? '',
      model: answer.model || model,
      usage: { inputTokens: answer.usage?.prompt_tokens ?? 0, outputTokens: answer.usage?.completion_tokens ?? 0 },
      truncated: choice.finish_reason === 'length',
    };
  }

  private retryPlan(error: unknown, attempt: number): { waitMs: number; reason: string } | undefined {
    if (attempt >= this.config.maxRetries) return undefined;
    const backoff = Math.min(30_000, this.config.backoffMs * 2 ** attempt);
    if (error instanceof APIConnectionError) return { waitMs: backoff, reason: this.scrub(error.message) };
    if (!(error instanceof APIError) || error.status === undefined) return undefined;
    if (!RETRYABLE.has(error.status) && error.status < 500) return undefined;
    const asked = retryAfterMs(error.headers);
    if (asked !== undefined && asked > this.config.maxRetryWaitMs) return undefined;
    return { waitMs: asked ?? backoff, reason: `HTTP ${error.status}` };
  }

  private scrub(text: string): string {
    return redact(text, this.apiKey);
  }

  private failure(error: unknown): Error {
    if (error instanceof LlmError) return error;
    const where = `${this.config.baseUrl} (model ${this.config.model})`;
    if (error instanceof APIError && error.status !== undefined) {
      const asked = retryAfterMs(error.headers);
      const hint =
        error.status === 401 || error.status === 403
          ? ': check the key in KERNELPILOT_API_KEY / OPENAI_API_KEY'
          : error.status === 404
            ? ': check the base URL and the model name'
            : asked !== undefined && asked > this.config.maxRetryWaitMs
              ? `: it asks to wait ${(asked / 1000).toFixed(0)} s, more than ${(this.config.maxRetryWaitMs / 1000).toFixed(0)} s`
              : '';
      return new LlmError(this.scrub(`${where} answered HTTP ${error.status}: ${error.message}${hint}`), error.status);
    }
    return new LlmError(this.scrub(`${where}: ${error instanceof Error ? error.message : String(error)}`));
  }
}
