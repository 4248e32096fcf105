// A local OpenAI-compatible endpoint for tests: POST /v1/chat/completions on loopback, answering each request with
// what a script returns for it (content, an HTTP error with headers, a delay). It records every request and how
// many ran at once, so tests see exactly what the real `openai` client sent.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ChatRequestBody {
  model: string;
  messages: Array<{ role: string; content: string }>;
  temperature?: number;
  max_tokens?: number;
}

export interface Reply {
  status?: number;
  headers?: Record<string, string>;
  /** The assistant's answer (status 200). */
  content?: string;
  /** A raw body for error statuses. */
  body?: string;
  delayMs?: number;
  usage?: { prompt_tokens: number; completion_tokens: number };
  finishReason?: 'stop' | 'length';
}

export class ScriptedEndpoint {
  readonly requests: Array<{ headers: IncomingHttpHeaders; body: ChatRequestBody }> = [];
  inFlight = 0;
  maxInFlight = 0;
  /** Requests whose client went away before the answer. */
  abandoned = 0;
  private server?: Server;

  constructor(private readonly script: (body: ChatRequestBody, index: number) => Reply) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      let raw = '';
      req.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
      req.on('end', () => {
        const body = JSON.parse(raw) as ChatRequestBody;
        const index = this.requests.push({ headers: req.headers, body }) - 1;
        const reply = this.script(body, index);
        this.inFlight++;
        this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
        let done = false;
        const finish = () => {
          if (done) return;
          done = true;
          this.inFlight--;
        };
        const timer = setTimeout(() => {
          finish();
          const status = reply.status ?? 200;
          const payload =
            status === 200
              ? JSON.stringify({
                  id: `chatcmpl-${index}`,
                  object: 'chat.completion',
                  created: 0,
                  model: body.model,
                  choices: [{ index: 0, message: { role: 'assistant', content: reply.content ?? '' }, finish_reason: reply.finishReason ?? 'stop' }],
                  usage: { ...(reply.usage ?? { prompt_tokens: 100, completion_tokens: 50 }), total_tokens: 0 },
                })
              : (reply.body ?? JSON.stringify({ error: { message: `error ${status}`, type: 'server_error' } }));
          res.writeHead(status, { 'content-type': 'application/json', ...reply.headers });
          res.end(payload);
        }, reply.delayMs ?? 0);
        res.on('close', () => {
          if (!done) {
            clearTimeout(timer);
            this.abandoned++;
            finish();
          }
        });
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}
