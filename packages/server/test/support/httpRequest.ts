/** Plain HTTP(S) GETs for the tests, with a chosen source address; every request is bounded. */
import http from 'node:http';
import https from 'node:https';

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * One GET (http or https), redirects not followed. For https the certificate is not checked: the tests'
 * proxies use a self-signed one.
 */
export function request(
  url: string,
  options: { headers?: Record<string, string>; localAddress?: string; timeoutMs?: number } = {},
): Promise<HttpAnswer> {
  const { headers = {}, localAddress, timeoutMs = 5_000 } = options;
  const secure = url.startsWith('https:');
  return new Promise((resolve, reject) => {
    const sent = (secure ? https : http).get(
      url,
      {
        headers,
        ...(localAddress === undefined ? {} : { localAddress }),
        ...(secure ? { rejectUnauthorized: false } : {}),
        agent: false,
        timeout: timeoutMs,
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body }),
        );
        response.on('error', reject);
      },
    );
    sent.on('timeout', () => sent.destroy(new Error(`GET ${url}: no answer within ${timeoutMs} ms`)));
    sent.on('error', reject);
  });
}
