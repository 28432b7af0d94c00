// fetch wrapper for the Rapport HTTP API.
import { errorText, t } from "./i18n.js";

/**
 * An error from the API, with the server's code and HTTP status.
 */
export class ApiError extends Error {
  /**
   * @param {string} message
   * @param {string} code
   * @param {number} status
   */
  constructor(message, code, status) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.status = status;
  }
}


/**
 * Call the API. JSON bodies are sent as JSON; strings/Blobs as given with `contentType`.
 * Throws ApiError(message from the server's `error.message`).
 * @param {string} method
 * @param {string} path
 * @param {{json?: any, body?: BodyInit, contentType?: string, token?: string | null}} [opts]
 * @returns {Promise<any>} the parsed JSON answer, or null for an empty answer
 */
export async function api(method, path, opts = {}) {
  /** @type {Record<string, string>} */
  const headers = { Accept: "application/json" };
  let body = opts.body;
  if (opts.json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(opts.json);
  } else if (opts.contentType) {
    headers["Content-Type"] = opts.contentType;
  }
  if (opts.token) headers.Authorization = `Bearer ${opts.token}`;

  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body,
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch {
    throw new ApiError(t("common.offline_error"), "network", 0);
  }

  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const err = data && typeof data === "object" ? data.error : null;
    const message = errorText(err, t("common.generic_error"));
    const code = err && typeof err.code === "string" ? err.code : `http_${response.status}`;
    throw new ApiError(message, code, response.status);
  }
  return data;
}
