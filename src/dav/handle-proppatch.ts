// PROPPATCH on /dav/ (RFC 4918 §9.2): dead properties stored with the file or folder, all or
// nothing. Windows writes its Win32 times and attributes after every upload; the generation (and
// so the ETag) does not change when they are stored.

import { MAX_ATTRIBUTE_KEY_CHARS, MAX_ATTRIBUTES_BYTES } from '../protocol/limits.js';
import { readXmlBody } from './body.js';
import { attributeChange, DEAD_PROP_PREFIX, deadPropsOf, otherAttributesSize } from './dead-props.js';
import { DavError } from './errors.js';
import { ROOT_PATH } from './paths.js';
import { applyProppatch } from './proppatch.js';
import { type DavRequest, rootHref } from './request.js';
import { checkConditions } from './resources.js';
import { sendXml } from './respond.js';
import { parseProppatch } from './xml-requests.js';
import { multistatusXml } from './xml-responses.js';

/** PROPPATCH: 207 with a status per property. */
export async function handleProppatch(req: DavRequest): Promise<void> {
  const { ctx, path } = req;
  const found = await req.resolve();
  if (found.kind === 'missing') throw req.notFound();
  if (path === ROOT_PATH) throw new DavError(403, 'the root folder has no properties to change');
  await req.preconditions([{ kind: 'modify', path }]);
  checkConditions(ctx.headers, found);
  const ops = parseProppatch(await readXmlBody(ctx.req));
  const attributes = found.entry?.attributes;
  const outcome = applyProppatch(ops, deadPropsOf(attributes), {
    totalBytes: MAX_ATTRIBUTES_BYTES - otherAttributesSize(attributes),
    keyPrefix: DEAD_PROP_PREFIX,
    maxKeyChars: MAX_ATTRIBUTE_KEY_CHARS,
  });
  if (outcome.ok) {
    // A folder's attributes are kept on its row (path ending in '/'); an implied folder becomes explicit.
    const target = found.kind === 'folder' ? `${path}/` : path;
    await req.sdk.api.setAttributes(target, attributeChange(ops, outcome.dead), { signal: req.signal });
  }
  const collection = found.kind === 'folder';
  sendXml(
    ctx,
    207,
    multistatusXml([{ href: req.selfHref(collection), propstats: outcome.propstats }], rootHref),
  );
}
