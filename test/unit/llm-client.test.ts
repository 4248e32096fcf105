// The chat client through the real `openai` package against a local scripted endpoint: answers and usage,
// retries on 429 (honouring Retry-After) and 5xx, errors that name the endpoint and never the key, cancel of a
// slow answer and of a wait, and the limit on parallel requests.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChatClient, retryAfterMs, type EndpointConfig, type RetryNotice } from '../../server/src/llm/client';
import { ScriptedEndpoint, type Reply } from './llm-endpoint';

const T = { timeout: 30_000 };
const KEY = 'sk-kp-client-test-0123456789';
const HELLO = [{ role: 'user' as const, content: 'hello' }];

async function withEndpoint(script: (body: unknown, index: number) => Reply, config: Partial<EndpointConfig>, body: (client: ChatClient, endpoint: ScriptedEndpoint, notices: RetryNotice[]) => Promise<void>) {
  const endpoint = new ScriptedEndpoint(script);
  const baseUrl = await endpoint.start();
  const notices: RetryNotice[] = [];
  try {
    const client = new ChatClient({ baseUrl, model: 'test-model', timeoutMs: 10_000, parallel: 4, maxRetries: 2, backoffMs: 10, maxRetryWaitMs: 5_000, temperature: 0.2, maxTokens: 512, ...config }, KEY, (n) => notices.push(n));
    await body(client, endpoint, notices);
  } finally {
    await endpoint.close();
  }
}

const never = new AbortController().signal;

test('an answer comes back with its usage; the key travels only in the Authorization header', T, async () => {
  await withEndpoint(() => ({ content: 'hi', usage: { prompt_tokens: 12, completion_tokens: 3 } }), {}, async (client, endpoint) => {
    const answer = await client.complete(HELLO, never);
    assert.deepEqual(answer, { text: 'hi', model: 'test-model', usage: { inputTokens: 12, outputTokens: 3 }, truncated: false });
    const { headers, body } = endpoint.requests[0];
    assert.equal(headers.authorization, `Bearer ${KEY}`);
    assert.deepEqual({ model: body.model, temperature: body.temperature, max_tokens: body.max_tokens }, { model: 'test-model', temperature: 0.2, max_tokens: 512 });
    assert.ok(!JSON.stringify(body).includes(KEY));
  });
});

test('429 with Retry-After is retried after the wait it asks for; 5xx with backoff', T, async () => {
  await withEndpoint((_b, i) => (i === 0 ? { status: 429, headers: { 'retry-after': '1' } } : { content: 'ok' }), {}, async (client, _e, notices) => {
    const started = Date.now();
    assert.equal((await client.complete(HELLO, never)).text, 'ok');
    assert.ok(Date.now() - started >= 950, `waited ${Date.now() - started} ms`);
    assert.deepEqual(notices, [{ attempt: 1, waitMs: 1000, reason: 'HTTP 429' }]);
  });
  await withEndpoint((_b, i) => (i < 2 ? { status: i === 0 ? 500 : 503 } : { content: 'ok' }), {}, async (client, endpoint, notices) => {
    assert.equal((await client.complete(HELLO, never)).text, 'ok');
    assert.equal(endpoint.requests.length, 3);
    assert.deepEqual(notices.map((n) => n.waitMs), [10, 20]);
  });
  await withEndpoint(() => ({ status: 502 }), {}, async (client, endpoint) => {
    await assert.rejects(client.complete(HELLO, never), /127\.0\.0\.1:\d+\/v1 \(model test-model\) answered HTTP 502/);
    assert.equal(endpoint.requests.length, 3, 'the first try and maxRetries = 2 retries');
  });
  await withEndpoint(() => ({ status: 429, headers: { 'retry-after': '600' } }), {}, async (client, endpoint) => {
    await assert.rejects(client.complete(HELLO, never), /HTTP 429.*it asks to wait 600 s, more than 5 s/);
    assert.equal(endpoint.requests.length, 1);
  });
  assert.equal(retryAfterMs(new Headers({ 'retry-after': 'Wed, 21 Oct 2026 07:28:05 GMT' }), Date.parse('Wed, 21 Oct 2026 07:28:00 GMT')), 5000);
  assert.equal(retryAfterMs(new Headers({ 'retry-after-ms': '250' })), 250);
});

test('an error whose body echoes the key is reported without it', T, async () => {
  const body = JSON.stringify({ error: { message: `Incorrect API key provided: ${KEY}. Bearer ${KEY}`, type: 'invalid_request_error' } });
  await withEndpoint(() => ({ status: 401, body }), {}, async (client) => {
    const error = await client.complete(HELLO, never).then(() => undefined, (e: Error) => e);
    assert.ok(error);
    assert.match(error.message, /answered HTTP 401.*\[redacted\].*check the key in KERNELPILOT_API_KEY/);
    assert.ok(!`${error.message}\n${error.stack}`.includes(KEY), error.message);
  });
});

test('cancel ends a slow answer and a Retry-After wait at once', T, async () => {
  await withEndpoint(() => ({ content: 'late', delayMs: 20_000 }), {}, async (client, endpoint) => {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(new Error('cancelled by test')), 200);
    await assert.rejects(client.complete(HELLO, controller.signal), /cancelled by test/);
    assert.ok(Date.now() - started < 2_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(endpoint.abandoned, 1, 'the server saw the request go away');
  });
  await withEndpoint(() => ({ status: 429, headers: { 'retry-after': '4' } }), {}, async (client) => {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(new Error('cancelled by test')), 200);
    await assert.rejects(client.complete(HELLO, controller.signal), /cancelled by test/);
    assert.ok(Date.now() - started < 2_000, 'not after the 4 s wait');
  });
});

test('a request timeout is retried, then reported', T, async () => {
  await withEndpoint(() => ({ content: 'late', delayMs: 2_000 }), { timeoutMs: 200, maxRetries: 1 }, async (client, endpoint) => {
    await assert.rejects(client.complete(HELLO, never), /timed out/i);
    assert.equal(endpoint.requests.length, 2);
  });
});

test('at most `parallel` requests are in flight at once', T, async () => {
  await withEndpoint(() => ({ content: 'ok', delayMs: 100 }), { parallel: 2 }, async (client, endpoint) => {
    await Promise.all(Array.from({ length: 6 }, () => client.complete(HELLO, never)));
    assert.equal(endpoint.requests.length, 6);
    assert.equal(endpoint.maxInFlight, 2);
  });
});
