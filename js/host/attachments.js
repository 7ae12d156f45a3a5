// Attachments (src/turn: attachment.put for input images, attachment.get for a wire
// request's images): the configured attachment store keeps the bytes.
import { OP_ATTACHMENT_GET, OP_ATTACHMENT_PUT } from '../core/ops.js';
import { base64 } from '../util/bytes.js';

export function installAttachmentOps(state) {
  const { instance, turns } = state;

  // Image bytes for a wire request: {mime, data: base64}.
  instance.onOp(OP_ATTACHMENT_GET, async (msg) => {
    const store = state.attachmentStore();
    if (typeof store?.get !== 'function') throw new Error('the attachment store cannot read images');
    const { meta, bytes } = await store.get(msg.id);
    const type = meta?.media_type?.type ?? 'png';
    return { mime: `${meta?.media_type?.kind ?? 'image'}/${type}`, data: base64(bytes) };
  });

  instance.onOp(OP_ATTACHMENT_PUT, async (msg) => {
    const run = turns.get(msg.turn);
    const bytes = run?.blobs?.[msg.label];
    const store = state.attachmentStore();
    if (!bytes) throw new Error(`missing blob for id '${msg.label}'`);
    if (typeof store?.put !== 'function') throw new Error('the attachment store cannot store images');
    return store.put(bytes, { media_type: { kind: 'image', type: 'png' }, label: msg.label });
  });
}
