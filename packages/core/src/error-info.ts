import { redactSecrets } from './redact.js';
import type { ErrorInfo } from './types.js';

/** Turns anything thrown into a serialisable {@link ErrorInfo}, with credentials redacted. */
export function errorInfo(error: unknown): ErrorInfo {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const info: { name: string; message: string; code?: string; stack?: string } = {
      name: error.name,
      message: redactSecrets(error.message),
    };
    if (typeof code === 'string') info.code = code;
    if (error.stack !== undefined) info.stack = redactSecrets(error.stack);
    return info;
  }
  return {
    name: 'Error',
    message: redactSecrets(typeof error === 'string' ? error : safeString(error)),
  };
}

function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return 'unprintable error value';
  }
}
