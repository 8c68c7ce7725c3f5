// Event handlers from the configuration's `events` section. Relative script and module paths
// are taken from the configuration file's folder (the working folder without a file).
import { dirname, isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Config, type EventHandlerConfig, unreachable } from '@cryptoassets/core';
import { createCallbackHandler } from './callback.js';
import type { EventHandler } from './handler.js';
import { createScriptHandler } from './script.js';
import { createWebhookHandler } from './webhook.js';

export function createEventHandlers(config: Pick<Config, 'events' | 'source'>): EventHandler[] {
  const folder = config.source === undefined ? process.cwd() : dirname(resolve(config.source));
  return Object.entries(config.events).map(([name, handler]) =>
    createEventHandler(name, handler, folder),
  );
}

export function createEventHandler(
  name: string,
  config: EventHandlerConfig,
  folder: string,
): EventHandler {
  switch (config.type) {
    case 'http':
      return createWebhookHandler({
        name,
        url: config.url,
        secret: config.secret,
        timeoutMs: config.timeout_ms,
      });
    case 'script':
      return createScriptHandler({
        name,
        script: resolve(folder, config.script),
        timeoutMs: config.timeout_ms,
      });
    case 'callback':
      return createCallbackHandler({
        name,
        module: moduleSpecifier(config.module, folder),
        exportName: config.export,
      });
    default:
      return unreachable(config, 'event handler type');
  }
}

/** A path (absolute, or relative to `folder`) becomes a file URL; a package name stays. */
export function moduleSpecifier(module: string, folder: string): string {
  if (module.startsWith('file:')) return module;
  if (isAbsolute(module)) return pathToFileURL(module).href;
  if (module.startsWith('./') || module.startsWith('../'))
    return pathToFileURL(resolve(folder, module)).href;
  return module;
}
