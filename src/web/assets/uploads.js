// Uploads from the page: one XMLHttpRequest per file whose body is the File itself, so the
// browser streams it from disk; each shows a progress bar (bytes sent, rate) and can be cancelled.

import { CSRF_HEADERS, encodePath, errorFrom, networkError } from './api.js';
import { formatBytes, formatRate } from './format.js';
import { actionButton } from './listing.js';

// Files sent at once; the rest wait their turn (browsers allow ~6 connections per host).
const PARALLEL = 3;
// How long a finished upload stays in the list.
const LINGER_MS = 4000;
// A failure the cluster may get over (a 503: its master restarting, an upload it lost; or the web
// client not answering while it restarts) is tried again after these waits: the File is read again.
const RETRY_MS = [1000, 3000];

/** The list of uploads in the page, and the queue behind it. */
export class Uploads {
  #list;
  #onUploaded;
  #waiting = [];
  #active = 0;

  /** `list` is the <ul> to show transfers in; `onUploaded(path)` runs after each success. */
  constructor(list, onUploaded) {
    this.#list = list;
    this.#onUploaded = onUploaded;
  }

  /** Number of uploads waiting or running. */
  get pending() {
    return this.#waiting.length + this.#active;
  }

  /** Queues files: `items` are `{ file, path }` with `path` the remote path to write. */
  add(items, maxFileSize) {
    for (const { file, path } of items) {
      const transfer = this.#row(file, path);
      if (file.size > maxFileSize) {
        this.#fail(
          transfer,
          `it is ${formatBytes(file.size)}, larger than the cluster's limit of ${formatBytes(maxFileSize)}`,
        );
        continue;
      }
      this.#waiting.push(transfer);
    }
    this.#pump();
  }

  #pump() {
    while (this.#active < PARALLEL && this.#waiting.length > 0) this.#start(this.#waiting.shift());
  }

  #row(file, path) {
    const li = document.createElement('li');
    li.className = 'transfer';
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = path;
    const button = actionButton('Cancel', 'Stop this upload', () => this.#cancel(transfer));
    const progress = document.createElement('progress');
    progress.max = Math.max(file.size, 1);
    progress.value = 0;
    progress.setAttribute('aria-label', `Upload of ${path}`);
    const state = document.createElement('span');
    state.className = 'state muted small';
    state.textContent = `waiting · ${formatBytes(file.size)}`;
    li.append(name, button, progress, state);
    this.#list.append(li);
    const transfer = { file, path, li, button, progress, state, xhr: undefined, tries: 0, timer: undefined };
    return transfer;
  }

  #start(transfer) {
    const { file, path, progress, state } = transfer;
    const xhr = new XMLHttpRequest();
    transfer.xhr = xhr;
    this.#active++;
    const started = performance.now();
    progress.value = 0;
    state.removeAttribute('title');
    xhr.open('PUT', `/api/files${encodePath(path)}`);
    for (const [key, value] of Object.entries(CSRF_HEADERS)) xhr.setRequestHeader(key, value);
    xhr.setRequestHeader('content-type', 'application/octet-stream');
    state.textContent = `starting · ${formatBytes(file.size)}`;
    xhr.upload.addEventListener('progress', (event) => {
      const total = event.lengthComputable ? event.total : file.size;
      progress.value = event.loaded;
      const seconds = (performance.now() - started) / 1000;
      const rate = seconds > 0 ? ` · ${formatRate(event.loaded / seconds)}` : '';
      state.textContent =
        event.loaded >= total
          ? `${formatBytes(total)} sent · storing on the cluster…`
          : `${formatBytes(event.loaded)} of ${formatBytes(total)}${rate}`;
    });
    xhr.addEventListener('load', () => {
      if (xhr.status === 201) return this.#done(transfer, 'uploaded', started);
      if (xhr.status === 401) dispatchEvent(new Event('dfs:unauthorized'));
      const { message } = errorFrom(xhr.status, xhr.responseText);
      if (xhr.status === 503) this.#retry(transfer, message);
      else this.#fail(transfer, message);
    });
    xhr.addEventListener('error', () => this.#retry(transfer, networkError().message));
    xhr.addEventListener('abort', () => this.#done(transfer, 'cancelled'));
    xhr.addEventListener('loadend', () => {
      this.#active--;
      this.#pump();
    });
    xhr.send(file);
  }

  // Queues a failed transfer again after its next wait, or fails it when none is left.
  #retry(transfer, reason) {
    const wait = RETRY_MS[transfer.tries];
    if (wait === undefined) return this.#fail(transfer, reason, true);
    transfer.tries++;
    transfer.xhr = undefined;
    // The reason in words is for the failure; meanwhile it is a tooltip.
    transfer.state.textContent = `could not be stored just now · trying again in ${wait / 1000} s`;
    transfer.state.title = reason;
    transfer.timer = setTimeout(() => {
      transfer.timer = undefined;
      this.#waiting.unshift(transfer);
      this.#pump();
    }, wait);
  }

  #cancel(transfer) {
    if (transfer.xhr) {
      transfer.xhr.abort();
      return;
    }
    clearTimeout(transfer.timer);
    this.#waiting = this.#waiting.filter((t) => t !== transfer);
    this.#done(transfer, 'cancelled');
  }

  #done({ file, path, li, button, progress, state }, outcome, started) {
    button.remove();
    li.classList.add(outcome === 'uploaded' ? 'done' : 'cancelled');
    if (outcome === 'uploaded') {
      progress.value = progress.max;
      const seconds = (performance.now() - started) / 1000;
      state.textContent = `uploaded ${formatBytes(file.size)}${seconds > 0.5 ? ` · ${formatRate(file.size / seconds)}` : ''}`;
      this.#onUploaded(path);
    } else {
      state.textContent = 'cancelled';
    }
    setTimeout(() => li.remove(), LINGER_MS);
  }

  // A failure that tried again (`again`) can be tried once more by hand, as a new upload.
  #fail({ file, path, li, button, progress, state }, reason, again = false) {
    li.classList.add('failed');
    // The bar shows how far it got, in the colour of a failure (not a full, blue "done").
    progress.classList.add('bad');
    state.textContent = `failed: ${reason}`;
    const actions = document.createElement('span');
    actions.className = 'actions';
    if (again)
      actions.append(
        actionButton('Try again', 'Upload this file again', () => {
          li.remove();
          this.add([{ file, path }], Number.POSITIVE_INFINITY);
        }),
      );
    actions.append(actionButton('Dismiss', 'Remove this line', () => li.remove()));
    button.replaceWith(actions);
  }
}
