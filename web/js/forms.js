// Accessible forms: every input has a label, hints and errors are tied to
// it with aria-describedby, errors from the API land next to the field
// they name (or next to the action), and the submit button shows progress.
import { h, id, announce } from './dom.js';

/**
 * A labelled field. spec: {name, label, type, value, hint, required,
 * autocomplete, inputmode, options: [[value, text]], min, max}
 */
export function field(spec) {
  const inputId = id(`f-${spec.name}`);
  const hintId = spec.hint ? `${inputId}-hint` : null;
  const errorId = `${inputId}-error`;
  const attrs = {
    id: inputId, name: spec.name, required: !!spec.required,
    autocomplete: spec.autocomplete, inputmode: spec.inputmode, min: spec.min, max: spec.max,
    minlength: spec.minlength, maxlength: spec.maxlength, pattern: spec.pattern,
    'aria-describedby': [hintId, errorId].filter(Boolean).join(' '),
  };
  let input;
  if (spec.options) {
    input = h('select', attrs, spec.options.map(([v, text]) => h('option', { value: v, selected: String(v) === String(spec.value ?? '') }, text)));
  } else {
    input = h('input', { ...attrs, type: spec.type || 'text', value: spec.value ?? '' });
  }
  const error = h('p', { id: errorId, class: 'field-error' });
  const wrap = h('div', { class: 'field' },
    h('label', { for: inputId }, spec.label),
    hintId ? h('span', { id: hintId, class: 'hint' }, spec.hint) : null,
    input, error);
  return { wrap, input, error, name: spec.name, labelText: spec.label };
}

/**
 * A form with fields and a submit button. onSubmit(values, form) may throw
 * an error with .fields ({name: message}) and a message.
 */
export function form({ label, fields, submitText, busyText = 'Working…', onSubmit, extra = [], cls = 'card' }) {
  const byName = Object.fromEntries(fields.map((f) => [f.name, f]));
  const formError = h('p', { class: 'form-error', role: 'alert' });
  const button = h('button', { type: 'submit' }, submitText);
  const el = h('form', { class: cls, 'aria-label': label, novalidate: true },
    fields.map((f) => f.wrap), extra, formError, h('div', { class: 'actions' }, button));

  function clear() {
    formError.textContent = '';
    for (const f of fields) {
      f.error.textContent = '';
      f.input.removeAttribute('aria-invalid');
    }
  }

  function showErrors(err) {
    const fieldErrors = err.fields && Object.keys(err.fields).length ? err.fields : pointerFields(err.message);
    let first = null;
    const unplaced = [];
    for (const [name, message] of Object.entries(fieldErrors)) {
      const f = byName[name];
      if (!f) { unplaced.push(`${name} ${message}`); continue; }
      f.error.textContent = `${f.labelText} ${message}`;
      f.input.setAttribute('aria-invalid', 'true');
      first = first || f.input;
    }
    const msg = [err.message, ...unplaced].filter(Boolean).join(' ');
    formError.textContent = Object.keys(fieldErrors).length && !unplaced.length ? 'Please fix the highlighted fields.' : msg;
    if (first) first.focus();
    else button.focus();
  }

  el.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (button.disabled) return;
    clear();
    const values = Object.fromEntries(fields.map((f) => [f.name, f.input.value]));
    const missing = {};
    for (const f of fields) {
      const problem = check(f.input);
      if (problem) missing[f.name] = problem;
    }
    if (Object.keys(missing).length) { showErrors({ fields: missing }); return; }
    button.disabled = true;
    el.setAttribute('aria-busy', 'true');
    button.textContent = busyText;
    try {
      await onSubmit(values, { el, fields: byName, clear });
    } catch (err) {
      showErrors(err);
      announce(err.message || 'The action failed.');
    } finally {
      button.disabled = false;
      el.removeAttribute('aria-busy');
      button.textContent = submitText;
    }
  });
  return { el, button, formError, fields: byName, showErrors, clear };
}

// The browser's own constraint checks (the form is novalidate so the
// messages are ours, next to the field, in the same words as the API's).
function check(input) {
  const v = String(input.value);
  if (input.required && !v.trim()) return 'is required.';
  if (!v || !input.validity) return '';
  const vs = input.validity;
  if (vs.tooShort || (input.minLength > 0 && v.length < input.minLength)) return `must be at least ${input.minLength} characters.`;
  if (vs.tooLong) return `must be at most ${input.maxLength} characters.`;
  if (vs.typeMismatch && input.type === 'email') return 'must be an email address such as name@example.com.';
  if (vs.rangeUnderflow) return `must be at least ${input.min}.`;
  if (vs.rangeOverflow) return `must be at most ${input.max}.`;
  if (vs.badInput || vs.stepMismatch) return 'must be a whole number.';
  return '';
}

/**
 * Field errors from a request validator's message such as
 * "[/adminPassword: length must be >= 12, but got 5]" (the gateway checks
 * bodies against the API definition before a function sees them).
 */
export function pointerFields(message) {
  const fields = {};
  for (const m of String(message || '').matchAll(/\/([A-Za-z][\w]*): ([^\],]+)/g)) fields[m[1]] = m[2].trim();
  return fields;
}

/** A button for a row action: shows progress and reports errors next to it. */
export function actionButton(text, busyText, run, { cls = 'secondary', label } = {}) {
  const msg = h('span', { class: 'field-error', role: 'alert' });
  const button = h('button', { type: 'button', class: cls, 'aria-label': label }, text);
  button.addEventListener('click', async () => {
    msg.textContent = '';
    button.disabled = true;
    button.textContent = busyText;
    try {
      await run();
    } catch (err) {
      msg.textContent = err.message || 'The action failed.';
    } finally {
      if (button.isConnected) {
        button.disabled = false;
        button.textContent = text;
      }
    }
  });
  return [button, msg];
}

/** A validation error raised in the browser, shaped like the API's. */
export function invalid(fields) {
  const err = new Error('');
  err.fields = fields;
  return err;
}
