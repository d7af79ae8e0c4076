// The file browser's message line: errors stay until dismissed (or until what failed works
// again, for a message given a source), confirmations fade. A message does not replace an
// error from another source still shown: the error of an action stays over the listing's.

const INFO_MS = 4000;
const box = document.getElementById('message');
const text = document.getElementById('message-text');
let timer;
// The source of the error shown ('' for one without), or undefined when none is.
let shownError;

/** Shows `message` in words; `kind` is 'error' (stays) or 'info' (hides itself). */
export function showMessage(message, kind = 'error', source = '') {
  if (!box.hidden && shownError !== undefined && shownError !== source && source !== '') return;
  text.textContent = message;
  box.classList.toggle('info', kind === 'info');
  box.hidden = false;
  shownError = kind === 'error' ? source : undefined;
  clearTimeout(timer);
  if (kind === 'info') timer = setTimeout(clearMessage, INFO_MS);
}

/** Hides the message line; with `source`, only a message from that source. */
export function clearMessage(source) {
  if (source !== undefined && (box.hidden || shownError !== source)) return;
  box.hidden = true;
  shownError = undefined;
}
