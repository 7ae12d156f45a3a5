// PromptLayer editing shared by the core, session and turn builders (lash's
// PromptLayerSink): template, contributions, slot replacement. Argument errors
// are returned, never thrown, so builders can record them.
import { MAX_TEXT_BYTES } from './core/ops.js';
import { invalidArgument } from './errors.js';
import { checkEnum, checkObject, checkString } from './validate.js';

export const PROMPT_SLOTS = ['intro', 'execution', 'guidance', 'project_instructions', 'runtime_context', 'environment'];

function checkContribution(argument, c) {
  return (
    checkObject(argument, c) ??
    checkEnum(`${argument}.slot`, c.slot, PROMPT_SLOTS) ??
    checkString(`${argument}.content`, c.content, { maxBytes: MAX_TEXT_BYTES }) ??
    (c.title != null ? checkString(`${argument}.title`, c.title) : null) ??
    (c.priority != null && !(Number.isInteger(c.priority) && c.priority >= -(2 ** 31) && c.priority < 2 ** 31)
      ? invalidArgument(`${argument}.priority`, 'expected a 32-bit integer') : null)
  );
}

function normalize(c, slot = c.slot) {
  const out = { slot };
  if (c.title != null && c.title.trim() !== '') out.title = c.title;
  out.priority = c.priority ?? 0;
  if (c.gate) out.gate = structuredClone(c.gate);
  out.content = c.content;
  return out;
}

export class PromptLayerEditor {
  layer = null; // lash PromptLayer JSON, or null when untouched

  #slots() {
    this.layer ??= { slots: {} };
    return this.layer.slots;
  }

  instructions(text) {
    const err = checkString('instructions', text, { maxBytes: MAX_TEXT_BYTES });
    if (err) return err;
    return this.contribution({ slot: 'project_instructions', title: 'Project Instructions', content: text }, 'instructions');
  }

  contribution(c, argument = 'promptContribution') {
    const err = checkContribution(argument, c);
    if (err) return err;
    const slot = (this.#slots()[c.slot] ??= { reset: false, contributions: [] });
    slot.contributions.push(normalize(c));
    return null;
  }

  replaceSlot(slot, contributions) {
    const list = Array.isArray(contributions) ? contributions : [contributions];
    const err = checkEnum('replacePromptSlot', slot, PROMPT_SLOTS) ??
      list.reduce((e, c, i) => e ?? checkContribution(`replacePromptSlot[${i}]`, { ...c, slot: c?.slot ?? slot }), null);
    if (err) return err;
    this.#slots()[slot] = { reset: true, contributions: list.map((c) => normalize(c, slot)) };
    return null;
  }

  template(t) {
    const err = checkObject('promptTemplate', t) ??
      (Array.isArray(t.sections) ? null : invalidArgument('promptTemplate', 'expected { sections: [...] }'));
    if (err) return err;
    this.#slots();
    this.layer.template = structuredClone(t);
    return null;
  }
}

// Mix the prompt-layer methods into a builder class whose #fail is exposed as `_fail`.
export function withPromptMethods(Builder, editorOf) {
  Object.assign(Builder.prototype, {
    instructions(text) { return this._fail(editorOf(this).instructions(text)); },
    promptContribution(c) { return this._fail(editorOf(this).contribution(c)); },
    replacePromptSlot(slot, c) { return this._fail(editorOf(this).replaceSlot(slot, c)); },
    clearPromptSlot(slot) { return this._fail(editorOf(this).replaceSlot(slot, [])); },
    promptTemplate(t) { return this._fail(editorOf(this).template(t)); },
  });
}
