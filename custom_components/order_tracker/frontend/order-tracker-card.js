/*
 * Order Tracker: the Orders card (custom:order-tracker-card) and the Orders dashboard strategy
 * (strategy type custom:order-tracker). Served by the integration itself (card.py); plain
 * JavaScript, no build step, no dependency.
 *
 * The card knows no provider. It renders what the integration publishes (docs/entities.md):
 * every order is a device with a "status" sensor (platform order_tracker, translation key
 * "status"; state = the canonical stage, ENUM options = the stages in order) whose attributes
 * say what the user must do (next_step, next_step_url, next_step_by, invoice), why it ended
 * (reason), the user's side (role) and the stages it went through (stages_reached). The
 * device's other sensors are shown by what they are: the provider's status (the other ENUM
 * sensor), times (timestamps, counted down), numbers (amounts, confirmations) and
 * transactions (their explorer_url). Words for values come from the integration's entity
 * translations through Home Assistant's formatters; the card's own words are the
 * selector.card.options translations. Accounts are devices identified by
 * ["order_tracker", <config entry id>].
 *
 * Rendering is keyed by device: a change of one order patches only that order's changed parts,
 * so text selection and focus elsewhere survive; the times move once a second in place.
 */

const DOMAIN = "order_tracker";
const CARD = "order-tracker-card";
// The stages are the integration's public vocabulary (docs/entities.md): the status sensor's ENUM
// options list them in order, the way to success first, ending with its one success stage,
// then the failures. The card fixes only that word, and the two stages on the way that not
// every order passes: shown when the order is in them, went through them, or publishes what
// they are about (something to do; confirmations counted).
const SUCCESS = "completed";
const OPTIONAL_STAGES = {
  action_required: (order, attrs) => "next_step" in attrs || "invoice" in attrs,
  confirming: (order) => order.keys.has("confirmations"),
};
const FINISHED_MODES = ["collapsed", "expanded", "hidden"];
const COPIED_FOR_MS = 2000;
const PATCH_BUDGET_MS = 8;

// English, used until (or where) the integration's translations say otherwise:
// component.order_tracker.selector.card.options.<key>.
const TEXT = {
  orders: "Orders",
  no_orders: "No orders tracked yet. Track one from the Order Tracker integration.",
  not_found: "This order is not tracked (any more).",
  finished: "Finished",
  in_status: "Time in status",
  overdue: "overdue",
  action_title: "Your action is needed",
  pay_invoice: "Pay this Lightning invoice to continue the order.",
  copy: "Copy",
  copied: "Copied",
  open_wallet: "Open in wallet",
  open_page: "Open the page",
  view_on_explorer: "View on explorer",
  you_sell: "You sell",
  unavailable: "Waiting for the provider's answer",
  entity: "Order (its Status sensor)",
  entry_id: "Account",
  title: "Title",
  finished_mode: "Finished orders",
  collapsed: "Collapsed",
  expanded: "Expanded",
  hidden: "Hidden",
  card_name: "Orders",
  card_description: "Order Tracker: where each order is in its journey, and what to do next.",
  invalid_config: "The card's configuration must be a mapping.",
  invalid_text: "Title, account and order must be text.",
  invalid_entity: "Pick an order's Status sensor.",
  invalid_finished: "Finished orders: pick Collapsed, Expanded or Hidden.",
};

const esc = (value) =>
  String(value ?? "").replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]
  );
const safeUrl = (url) => (typeof url === "string" && /^https?:\/\//i.test(url) ? url : null);
const parseTime = (value) => {
  const time = typeof value === "string" ? Date.parse(value) : NaN;
  return Number.isFinite(time) ? time : null;
};
const NUMBER = /^-?\d+(\.\d+)?$/;
const usable = (stateObj) =>
  !!stateObj && !["unknown", "unavailable", "", null, undefined].includes(stateObj.state);

// --- translations -------------------------------------------------------------------------

let translations = null;
let translationsLanguage = null;
let translationsLoading = null;
let translationsVersion = 0;

/** Home Assistant's hass object as the app holds it (the editor's form gets none). */
const appHass = () => document.querySelector("home-assistant")?.hass;

/** The integration's card texts in the user's language (loaded once per language). */
function loadTranslations(hass) {
  if (!hass?.loadBackendTranslation) return Promise.resolve();
  if (translationsLanguage === hass.language && translationsLoading) return translationsLoading;
  translationsLanguage = hass.language;
  translationsLoading = hass
    .loadBackendTranslation("selector", DOMAIN)
    .then((localize) => {
      translations = localize;
      translationsVersion += 1;
      document.dispatchEvent(new CustomEvent("order-tracker-translations"));
    })
    .catch(() => {});
  return translationsLoading;
}

function text(hass, key) {
  const id = `component.${DOMAIN}.selector.card.options.${key}`;
  return translations?.(id) || hass?.localize?.(id) || TEXT[key] || key;
}

// --- formatting ---------------------------------------------------------------------------

// Intl formatters are costly to build: one per locale and kind, for the page's lifetime.
const formatters = new Map();
function formatter(kind, locale, options, key) {
  const id = `${kind}|${locale}|${key}`;
  let found = formatters.get(id);
  if (!found) {
    found = new Intl[kind](locale, options);
    formatters.set(id, found);
  }
  return found;
}

function language(hass) {
  return hass?.locale?.language || hass?.language || navigator.language || "en";
}

/** The locale numbers are written in: the user's number format (as Home Assistant's own
 * formatNumber reads hass.locale.number_format). */
function numberLocale(hass) {
  switch (hass?.locale?.number_format) {
    case "comma_decimal":
      return "en-US";
    case "decimal_comma":
      return "de";
    case "space_comma":
      return "fr";
    case "quote_decimal":
      return "de-CH";
    case "system":
      return undefined;
    case "none":
      return "en-US";
    default:
      return language(hass);
  }
}

/** A decimal string with at most `precision` places and no trailing zeros ("1", not
 * "1.000000"): every digit the amount has, none it has not. Exact (the string is not turned
 * into a float first). */
function formatNumber(hass, value, precision) {
  const places = String(value).split(".")[1]?.length ?? 0;
  const maximum = Math.min(20, Number.isInteger(precision) ? precision : places);
  const grouping = hass?.locale?.number_format !== "none";
  const locale = numberLocale(hass);
  return formatter(
    "NumberFormat",
    locale,
    { maximumFractionDigits: maximum, minimumFractionDigits: 0, useGrouping: grouping },
    `${maximum}|${grouping}`
  ).format(value);
}

/** "45 s", "12 min", "2 h 3 min", "3 d 4 h": seconds only in the first 90 s, so the text of
 * a time in status changes once a minute after that. */
function duration(hass, ms) {
  const seconds = Math.max(0, Math.round(ms / 1000));
  const locale = language(hass);
  const unit = (name, count) =>
    formatter("NumberFormat", locale, { style: "unit", unit: name, unitDisplay: "short" }, name).format(count);
  if (seconds < 90) return unit("second", seconds);
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return unit("minute", minutes);
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 ? `${unit("hour", hours)} ${unit("minute", minutes % 60)}` : unit("hour", hours);
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${unit("day", days)} ${unit("hour", hours % 24)}` : unit("day", days);
}

/** "in 12 minutes", "3 hours ago". */
function relative(hass, time, now) {
  const diff = (time - now) / 1000;
  const abs = Math.abs(diff);
  const [unit, size] =
    abs < 90 ? ["second", 1] : abs < 5400 ? ["minute", 60] : abs < 129600 ? ["hour", 3600] : ["day", 86400];
  return formatter("RelativeTimeFormat", language(hass), { numeric: "auto" }, "").format(Math.round(diff / size), unit);
}

function absolute(hass, time) {
  const options = { dateStyle: "medium", timeStyle: "short" };
  const zone = hass?.locale?.time_zone === "server" ? hass.config?.time_zone : undefined;
  if (zone) options.timeZone = zone;
  try {
    return formatter("DateTimeFormat", language(hass), options, zone || "").format(new Date(time));
  } catch (err) {
    return new Date(time).toISOString();
  }
}

/** A state in the user's words (Home Assistant's own formatter: translations, units). */
function stateText(hass, stateObj, state) {
  try {
    if (hass.formatEntityState) return hass.formatEntityState(stateObj, state);
  } catch (err) {
    /* fall through */
  }
  return state ?? stateObj.state;
}

function attributeText(hass, stateObj, attribute) {
  try {
    if (hass.formatEntityAttributeValue) return hass.formatEntityAttributeValue(stateObj, attribute);
  } catch (err) {
    /* fall through */
  }
  return String(stateObj.attributes[attribute]);
}

function attributeName(hass, stateObj, attribute) {
  try {
    if (hass.formatEntityAttributeName) return hass.formatEntityAttributeName(stateObj, attribute);
  } catch (err) {
    /* fall through */
  }
  return attribute;
}

/** An entity's own name, without its device's ("Deadline"): the user's rename if any. */
function entityName(hass, stateObj) {
  try {
    const name = hass.formatEntityName?.(stateObj, { type: "entity" });
    if (name) return name;
  } catch (err) {
    /* fall through */
  }
  const entry = hass.entities?.[stateObj.entity_id];
  return (
    hass.localize?.(`component.${DOMAIN}.entity.sensor.${entry?.translation_key}.name`) ||
    stateObj.attributes?.friendly_name ||
    stateObj.entity_id
  );
}

/** A number with its unit, at most as many places as the entity's display precision. */
function numberText(hass, stateObj) {
  const precision = hass.entities?.[stateObj.entity_id]?.display_precision;
  const unit = stateObj.attributes?.unit_of_measurement;
  const number = formatNumber(hass, stateObj.state, precision);
  return unit ? `${number} ${unit}` : number;
}

// --- the registries -----------------------------------------------------------------------

function entryOf(device) {
  return (
    device?.config_entry_id ||
    device?.primary_config_entry ||
    (Array.isArray(device?.config_entries) ? device.config_entries[0] : undefined)
  );
}

let found = { entities: null, devices: null, result: null };

/** Every tracked order and every account, read from the registries (cached until they change). */
function findOrders(hass) {
  if (found.result && found.entities === hass?.entities && found.devices === hass?.devices) {
    return { orders: found.result.orders, accounts: new Map(found.result.accounts) };
  }
  const result = readRegistries(hass);
  found = { entities: hass?.entities, devices: hass?.devices, result };
  return { orders: result.orders, accounts: new Map(result.accounts) };
}

function readRegistries(hass) {
  const entities = Object.values(hass?.entities || {}).filter((e) => e.platform === DOMAIN);
  const devices = hass?.devices || {};
  const byDevice = new Map();
  for (const entity of entities) {
    if (!entity.device_id) continue;
    if (!byDevice.has(entity.device_id)) byDevice.set(entity.device_id, []);
    byDevice.get(entity.device_id).push(entity);
  }
  const accounts = new Map();
  for (const device of Object.values(devices)) {
    const own = (device.identifiers || []).find((id) => id[0] === DOMAIN);
    if (own && own[1] === entryOf(device) && !device.disabled_by) {
      accounts.set(own[1], { entryId: own[1], name: device.name_by_user || device.name || own[1], created: device.created_at || 0 });
    }
  }
  const orders = [];
  for (const entity of entities) {
    if (entity.translation_key !== "status" || !entity.entity_id.startsWith("sensor.")) continue;
    const device = devices[entity.device_id];
    if (!device) continue;
    // The order's other sensors, in the registry's order.
    const related = (byDevice.get(entity.device_id) || [])
      .filter((other) => other !== entity && other.entity_id.startsWith("sensor."))
      .map((other) => other.entity_id);
    const keys = new Set((byDevice.get(entity.device_id) || []).map((other) => other.translation_key));
    orders.push({
      key: entity.device_id,
      entity: entity.entity_id,
      device,
      entryId: entryOf(device),
      related,
      keys,
      name: device.name_by_user || device.name || entity.entity_id,
      created: device.created_at || 0,
    });
  }
  orders.sort((a, b) => b.created - a.created || a.name.localeCompare(b.name));
  return { orders, accounts };
}

// --- the card -----------------------------------------------------------------------------

const STYLE = `
  :host { display: block; }
  ha-card { overflow: hidden; }
  [hidden] { display: none !important; }
  .header { display: flex; align-items: baseline; gap: 8px; padding: 16px 16px 4px;
    font-size: var(--ha-card-header-font-size, 20px); color: var(--ha-card-header-color, var(--primary-text-color)); }
  .header .count { font-size: 14px; color: var(--secondary-text-color); }
  .empty { padding: 12px 16px 16px; color: var(--secondary-text-color); }
  /* An order off screen is neither laid out nor painted (150 orders cost what the few shown do). */
  .order { padding: 12px 16px; border-top: 1px solid var(--divider-color); min-width: 0; container-type: inline-size;
    content-visibility: auto; contain-intrinsic-size: auto 240px; }
  .list > .order:first-child { border-top: none; }
  details .list > .order:first-child { border-top: 1px solid var(--divider-color); }
  .top { display: flex; align-items: baseline; gap: 8px; min-width: 0; }
  .name { font-weight: 500; flex: 1 1 auto; min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  .chip { flex: none; font-size: 12px; padding: 2px 8px; border-radius: 12px; white-space: nowrap;
    background: var(--secondary-background-color); color: var(--primary-text-color); }
  .chip.success { background: var(--success-color, #43a047); color: #fff; }
  .chip.failure { background: var(--error-color, #db4437); color: #fff; }
  .chip.action { background: var(--warning-color, #ffa600); color: #000; }
  .ids { display: flex; gap: 8px; align-items: baseline; min-width: 0; font-size: 12px; color: var(--secondary-text-color); }
  .ids .id { flex: 0 1 auto; min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  .ids .role { flex: none; font-weight: 500; color: var(--primary-text-color); }
  .mono { font-family: var(--code-font-family, monospace); }
  .name, .id, dd, .invoice, .step-words { user-select: text; -webkit-user-select: text; }
  ol.steps { display: flex; list-style: none; margin: 12px 0 8px; padding: 0; }
  .step { flex: 1 1 0; min-width: min-content; position: relative; text-align: center; font-size: 11px;
    color: var(--secondary-text-color); }
  .step::before, .step::after { content: ""; position: absolute; top: 7px; height: 2px; background: var(--divider-color); }
  .step::before { left: 0; right: 50%; }
  .step::after { left: 50%; right: 0; }
  .step:first-child::before, .step:last-child::after { display: none; }
  .step.done::before, .step.current::before, .step.lead::after { background: var(--primary-color); }
  .step.bad::before { background: var(--error-color, #db4437); }
  .dot { position: relative; z-index: 1; display: block; box-sizing: border-box; width: 16px; height: 16px; margin: 0 auto 4px;
    border-radius: 50%; border: 2px solid var(--divider-color); background: var(--card-background-color, #fff);
    font-size: 10px; line-height: 12px; color: #fff; }
  .step.done .dot { background: var(--primary-color); border-color: var(--primary-color); }
  .step.current .dot { border-color: var(--primary-color); box-shadow: 0 0 0 3px rgba(var(--rgb-primary-color, 3, 169, 244), 0.3); }
  .step.current .label { color: var(--primary-text-color); font-weight: 600; }
  .step.current.bad .dot { background: var(--error-color, #db4437); border-color: var(--error-color, #db4437); }
  .step.current.ok .dot { background: var(--success-color, #43a047); border-color: var(--success-color, #43a047); }
  /* Whole words only: a label wraps between words, never inside one. */
  .label { display: block; padding: 0 3px; overflow-wrap: normal; word-break: normal; hyphens: manual; }
  /* Too narrow for every label: the current one only (the others keep theirs as a tooltip). */
  @container (max-width: 330px) { .step:not(.current) .label { display: none; } }
  dl { display: grid; grid-template-columns: minmax(0, auto) minmax(0, 1fr); gap: 2px 12px; margin: 8px 0 0; font-size: 14px; }
  dt { color: var(--secondary-text-color); }
  dd { margin: 0; min-width: 0; overflow-wrap: anywhere; }
  dd a { color: var(--primary-color); }
  .cta { margin-top: 10px; padding: 10px 12px; border-radius: 8px; border-left: 4px solid var(--warning-color, #ffa600);
    background: rgba(var(--rgb-warning-color, 255, 166, 0), 0.12); }
  .cta strong { display: block; margin-bottom: 4px; }
  .cta .by { margin-top: 4px; font-size: 14px; color: var(--secondary-text-color); }
  .invoice { display: block; margin: 6px 0; padding: 6px; border-radius: 4px; font-size: 12px; max-height: 5.5em; overflow: auto;
    overflow-wrap: anywhere; word-break: break-all; background: var(--secondary-background-color); }
  .actions { display: flex; flex-wrap: wrap; gap: 8px; margin-top: 6px; }
  button, a.button { font: inherit; font-size: 14px; cursor: pointer; padding: 4px 12px; border-radius: 16px; text-decoration: none;
    border: 1px solid var(--primary-color); background: none; color: var(--primary-color); }
  details.finished { border-top: 1px solid var(--divider-color); }
  details.finished > summary { padding: 12px 16px; cursor: pointer; color: var(--secondary-text-color); }
  .unavailable { margin-top: 8px; font-size: 14px; color: var(--secondary-text-color); }
`;

const PARTS = ["top", "ids", "steps", "rows", "next"];
const PART_TAGS = { top: "div", ids: "div", steps: "ol", rows: "dl", next: "div" };

class OrderTrackerCard extends HTMLElement {
  constructor() {
    super();
    this.attachShadow({ mode: "open" });
    this._config = null;
    this._hass = null;
    this._views = new Map();
    this._copied = new Map();
    this._built = false;
    this._onTranslations = () => this._update(true);
  }

  static getStubConfig() {
    return { type: `custom:${CARD}` };
  }

  static async getConfigForm() {
    // The labels are the integration's translations: load them before the form is drawn.
    await loadTranslations(appHass());
    return {
      schema: [
        { name: "title", selector: { text: {} } },
        { name: "entry_id", selector: { config_entry: { integration: DOMAIN } } },
        { name: "entity", selector: { entity: { filter: { integration: DOMAIN, domain: "sensor", device_class: "enum" } } } },
        {
          name: "finished",
          selector: {
            select: {
              mode: "dropdown",
              options: FINISHED_MODES.map((value) => ({ value, label: text(appHass(), value) })),
            },
          },
        },
      ],
      computeLabel: (schema) =>
        text(appHass(), { title: "title", entry_id: "entry_id", entity: "entity", finished: "finished_mode" }[schema.name]),
      assertConfig: (config) => OrderTrackerCard.check(config),
    };
  }

  static check(config) {
    const hass = appHass();
    if (!config || typeof config !== "object") throw new Error(text(hass, "invalid_config"));
    for (const key of ["entity", "entry_id", "title"]) {
      if (config[key] !== undefined && typeof config[key] !== "string") throw new Error(text(hass, "invalid_text"));
    }
    if (config.entity && !config.entity.startsWith("sensor.")) throw new Error(text(hass, "invalid_entity"));
    if (config.finished !== undefined && !FINISHED_MODES.includes(config.finished)) {
      throw new Error(text(hass, "invalid_finished"));
    }
  }

  setConfig(config) {
    OrderTrackerCard.check(config);
    this._config = { ...config };
    this._update(true);
  }

  set hass(hass) {
    this._hass = hass;
    loadTranslations(hass);
    this._update(false);
  }

  get hass() {
    return this._hass;
  }

  connectedCallback() {
    document.addEventListener("order-tracker-translations", this._onTranslations);
    // In the card picker the card is a preview: one order, nothing to act on.
    this._preview = this._inPicker();
    // Countdowns and times in status move on their own.
    this._timer = setInterval(() => this._tick(), 1000);
    this._update(true);
  }

  disconnectedCallback() {
    document.removeEventListener("order-tracker-translations", this._onTranslations);
    clearInterval(this._timer);
  }

  getCardSize() {
    const count = this._hass && this._config ? this._selected().orders.length : 1;
    return 1 + Math.min(count, 6) * 3;
  }

  getGridOptions() {
    return { columns: 12, min_columns: 6, rows: "auto" };
  }

  _inPicker() {
    for (let node = this; node; node = node.parentNode || node.host) {
      if (node.localName === "hui-card-picker") return true;
    }
    return false;
  }

  /** The orders this card shows, and a title. */
  _selected() {
    const { orders, accounts } = findOrders(this._hass);
    const config = this._config;
    let shown = orders;
    if (config.entity) shown = orders.filter((o) => o.entity === config.entity);
    else if (config.entry_id) shown = orders.filter((o) => o.entryId === config.entry_id);
    return { orders: shown, accounts, single: !!config.entity };
  }

  _build() {
    const root = this.shadowRoot;
    root.innerHTML = `<style>${STYLE}</style><ha-card><div class="header" hidden><span class="title"></span><span class="count"></span></div><div class="empty" hidden></div><div class="list open"></div><details class="finished" hidden><summary></summary><div class="list done"></div></details></ha-card>`;
    this._els = {
      header: root.querySelector(".header"),
      title: root.querySelector(".header .title"),
      count: root.querySelector(".header .count"),
      empty: root.querySelector(".empty"),
      open: root.querySelector(".list.open"),
      details: root.querySelector("details.finished"),
      summary: root.querySelector("details.finished > summary"),
      done: root.querySelector(".list.done"),
    };
    if (this._config.finished === "expanded") this._els.details.open = true;
    root.addEventListener("click", (event) => {
      const button = event.target.closest?.("button.copy");
      if (button) this._copy(button);
    });
    this._built = true;
  }

  _update(force) {
    if (!this._config || !this._hass || !this.isConnected) return;
    if (!this._built) this._build();
    if (force) for (const view of this._views.values()) view.sig = null;
    const hass = this._hass;
    const config = this._config;
    const els = this._els;
    let { orders, accounts, single } = this._selected();
    const stage = (order) => hass.states[order.entity]?.state;
    const finished = (order) => this._finished(order, stage(order));
    if (this._preview && orders.length) {
      orders = [orders.find((o) => !finished(o)) || orders[0]];
    }

    let title = config.title;
    if (title === undefined && !single) {
      title = config.entry_id ? accounts.get(config.entry_id)?.name || text(hass, "orders") : text(hass, "orders");
    }
    setText(els.title, title || "");
    setText(els.count, single || this._preview ? "" : String(orders.length));
    els.header.hidden = !title;
    setText(els.empty, orders.length ? "" : text(hass, single ? "not_found" : "no_orders"));
    els.empty.hidden = !!orders.length;

    const mode = config.finished || "collapsed";
    const open = [];
    const done = [];
    for (const order of orders) {
      if (single || this._preview || !finished(order)) open.push(order);
      else if (mode !== "hidden") done.push(order);
    }
    // A card of finished orders only shows them as they are (nothing to fold away).
    if (!open.length && done.length) open.push(...done.splice(0));
    const keep = new Set();
    // Many orders changing at once (a first render, a list answer moving dozens) are patched
    // a few milliseconds' worth at a time, the rest in the next frames: no long task.
    const budget = performance.now() + PATCH_BUDGET_MS;
    let deferred = false;
    for (const [list, shown] of [[els.open, open], [els.done, done]]) {
      let before = list.firstChild;
      for (const order of shown) {
        keep.add(order.key);
        const view = this._view(order);
        if (!this._patch(view, order, budget)) {
          deferred = true;
          if (!view.sig) continue; // never drawn yet: placed once it is
        }
        if (view.el !== before) list.insertBefore(view.el, before);
        else before = before.nextSibling;
      }
    }
    if (deferred && !this._nextFrame) {
      this._nextFrame = requestAnimationFrame(() => {
        this._nextFrame = null;
        this._update(false);
      });
    }
    for (const [key, view] of this._views) {
      if (!keep.has(key)) {
        view.el.remove();
        this._views.delete(key);
      }
    }
    els.details.hidden = !done.length;
    setText(els.summary, done.length ? `${text(hass, "finished")} (${done.length})` : "");
  }

  _finished(order, stage) {
    const options = this._hass.states[order.entity]?.attributes?.options;
    if (!Array.isArray(options) || !options.includes(stage)) return false;
    return options.indexOf(stage) >= options.indexOf(SUCCESS);
  }

  _view(order) {
    let view = this._views.get(order.key);
    if (!view) {
      const el = document.createElement("div");
      el.className = "order";
      const parts = {};
      for (const part of PARTS) {
        parts[part] = document.createElement(PART_TAGS[part]);
        parts[part].className = part;
        el.append(parts[part]);
      }
      parts.steps.classList.add("steps");
      parts.next.className = "";
      view = { el, parts, html: {}, sig: null, timed: null };
      this._views.set(order.key, view);
    }
    return view;
  }

  /** Re-render the parts of one order that changed, and nothing else; false when the time
   * budget is spent (the order is patched in a next frame). */
  _patch(view, order, budget) {
    const hass = this._hass;
    const states = hass.states;
    const sig = [
      states[order.entity],
      hass.entities[order.entity],
      order.device,
      order.name,
      hass.language,
      hass.locale,
      translationsVersion,
      this._copied.has(order.entity),
      this._preview,
    ];
    for (const id of order.related) sig.push(states[id], hass.entities[id]);
    if (view.sig && sig.length === view.sig.length && sig.every((value, index) => value === view.sig[index])) return true;
    if (performance.now() > budget) return false;
    view.sig = sig;
    const html = this._parts(order);
    view.el.dataset.entity = order.entity;
    view.el.dataset.stage = states[order.entity]?.state || "";
    for (const part of PARTS) {
      const value = html[part] || "";
      if (view.html[part] === value) continue;
      view.html[part] = value;
      view.parts[part].innerHTML = value;
      view.parts[part].hidden = !value;
      view.timed = null;
    }
    // Its times show at once, not at the next tick.
    if (!view.timed) this._tickView(view, Date.now());
    return true;
  }

  _parts(order) {
    const hass = this._hass;
    const status = hass.states[order.entity];
    const attrs = status?.attributes || {};
    const stage = status?.state;
    const options = Array.isArray(attrs.options) ? attrs.options : [];
    const known = options.includes(stage);
    const successAt = options.indexOf(SUCCESS);
    const at = options.indexOf(stage);
    const kind = !known ? "" : at === successAt ? "success" : at > successAt ? "failure" : attrs.next_step ? "action" : "";
    const html = {};
    html.top = `<span class="name" title="${esc(order.name)}">${esc(order.name)}</span>${
      known ? `<span class="chip ${kind}">${esc(stateText(hass, status, stage))}</span>` : ""
    }`;
    const ids = [];
    if (attrs.order_id) ids.push(`<span class="id mono" title="${esc(attrs.order_id)}">${esc(attrs.order_id)}</span>`);
    if (attrs.role === "seller") ids.push(`<span class="role">${esc(text(hass, "you_sell"))}</span>`);
    html.ids = ids.join("");
    if (!known) {
      html.rows = "";
      html.next = `<div class="unavailable">${esc(text(hass, "unavailable"))}</div>`;
      return html;
    }
    const finished = at >= successAt;
    html.steps = this._steps(order, status, options, successAt);
    html.rows = this._rows(order, status, finished);
    html.next = this._preview ? "" : this._nextStep(order, status);
    return html;
  }

  _steps(order, status, options, successAt) {
    const hass = this._hass;
    const attrs = status.attributes;
    const stage = status.state;
    if (successAt < 0) return "";
    const reached = Array.isArray(attrs.stages_reached) ? attrs.stages_reached : null;
    const failed = options.indexOf(stage) > successAt;
    // A failed order shows an optional stage only if it went through it.
    const path = options
      .slice(0, successAt + 1)
      .filter(
        (s, index) =>
          s === stage || index === 0 || index === successAt || reached?.includes(s) ||
          !(s in OPTIONAL_STAGES) || (!failed && OPTIONAL_STAGES[s](order, attrs))
      );
    const steps = failed ? [...path.slice(0, -1), stage] : path;
    const current = steps.indexOf(stage);
    const state = steps.map((s, index) => {
      if (failed) return index === current ? "current bad" : reached?.includes(s) ? "done" : "";
      if (index < current) return "done";
      return index === current ? (s === SUCCESS ? "current ok" : "current") : "";
    });
    return steps
      .map((s, index) => {
        const classes = ["step", state[index]];
        if (/done|current/.test(state[index + 1] || "") && state[index].includes("done")) classes.push("lead");
        const mark = state[index].includes("bad") ? "✕" : state[index] === "done" || state[index] === "current ok" ? "✓" : "";
        const label = esc(stateText(hass, status, s));
        return `<li class="${classes.join(" ").trim()}" title="${label}"${index === current ? ' aria-current="step"' : ""}><span class="dot">${mark}</span><span class="label">${label}</span></li>`;
      })
      .join("");
  }

  _rows(order, status, finished) {
    const hass = this._hass;
    const attrs = status.attributes;
    const rows = [];
    const row = (label, value, extra = "") => rows.push(`<dt>${esc(label)}</dt><dd${extra}>${value}</dd>`);
    const related = order.related
      .map((id) => hass.states[id])
      .filter((s) => usable(s) && !hass.entities[s.entity_id]?.hidden);
    const providerStatus = related.find((s) => s.attributes.device_class === "enum");
    if (providerStatus) row(entityName(hass, providerStatus), esc(stateText(hass, providerStatus)));
    else if (attrs.provider_status) row(attributeName(hass, status, "provider_status"), esc(attributeText(hass, status, "provider_status")));
    if (attrs.reason) row(attributeName(hass, status, "reason"), esc(attributeText(hass, status, "reason")));
    const since = parseTime(attrs.status_since) ?? parseTime(status.last_changed);
    if (since !== null && !finished) {
      row(text(hass, "in_status"), "", ` data-since="${since}" title="${esc(absolute(hass, since))}"`);
    }
    const now = Date.now();
    const rest = [];
    for (const sensor of related) {
      if (sensor === providerStatus) continue;
      const time = sensor.attributes.device_class === "timestamp" ? parseTime(sensor.state) : null;
      if (sensor.attributes.device_class === "timestamp") {
        // A finished order's times are history, but what is still to come (a lease's end).
        if (time !== null && (!finished || time > now)) {
          row(entityName(hass, sensor), "", ` data-until="${time}" title="${esc(absolute(hass, time))}"`);
        }
      } else {
        rest.push(sensor);
      }
    }
    for (const sensor of rest) {
      const name = entityName(hass, sensor);
      const link = safeUrl(sensor.attributes.explorer_url);
      if (link) {
        row(
          name,
          `<span class="mono">${esc(stateText(hass, sensor))}</span> · <a href="${esc(link)}" target="_blank" rel="noopener noreferrer">${esc(
            text(hass, "view_on_explorer")
          )}\u00a0↗</a>`
        );
      } else if (NUMBER.test(sensor.state)) {
        row(name, esc(numberText(hass, sensor)));
      } else {
        row(name, esc(stateText(hass, sensor)));
      }
    }
    return rows.join("");
  }

  /** What the user must do: the step in the integration's words, by when, the invoice to pay,
   * the page to do it on (only where the integration knows one). */
  _nextStep(order, status) {
    const hass = this._hass;
    const attrs = status.attributes;
    const invoice = typeof attrs.invoice === "string" && attrs.invoice ? attrs.invoice : null;
    if (!attrs.next_step && !invoice) return "";
    const words = attrs.next_step ? attributeText(hass, status, "next_step") : text(hass, "pay_invoice");
    let html = `<div class="cta" role="status"><strong>${esc(text(hass, "action_title"))}</strong><span class="step-words">${esc(words)}</span>`;
    const by = parseTime(attrs.next_step_by);
    if (by !== null) {
      html += `<div class="by">${esc(attributeName(hass, status, "next_step_by"))}: <span data-until="${by}" title="${esc(
        absolute(hass, by)
      )}"></span></div>`;
    }
    const actions = [];
    if (invoice) {
      html += `<code class="invoice mono">${esc(invoice)}</code>`;
      const copied = this._copied.has(order.entity);
      actions.push(
        `<button type="button" class="copy" data-entity="${esc(order.entity)}">${esc(text(hass, copied ? "copied" : "copy"))}</button>`,
        `<a class="button wallet" href="lightning:${esc(encodeURIComponent(invoice))}">${esc(text(hass, "open_wallet"))}</a>`
      );
    }
    const url = safeUrl(attrs.next_step_url);
    if (url) {
      actions.push(`<a class="button page" href="${esc(url)}" target="_blank" rel="noopener noreferrer">${esc(text(hass, "open_page"))}\u00a0↗</a>`);
    }
    if (actions.length) html += `<div class="actions">${actions.join("")}</div>`;
    return `${html}</div>`;
  }

  async _copy(button) {
    const entity = button.dataset.entity;
    const invoice = this._hass.states[entity]?.attributes?.invoice;
    if (typeof invoice !== "string") return;
    try {
      await navigator.clipboard.writeText(invoice);
    } catch (err) {
      // No clipboard (plain http, old browser): select the invoice for the user to copy.
      const code = button.closest(".cta")?.querySelector(".invoice");
      if (code) window.getSelection()?.selectAllChildren(code);
      return;
    }
    clearTimeout(this._copied.get(entity));
    this._copied.set(
      entity,
      setTimeout(() => {
        this._copied.delete(entity);
        this._update(false);
      }, COPIED_FOR_MS)
    );
    this._update(false);
  }

  /** Update the moving times in place (only the texts that change: focus and selection stay). */
  _tick() {
    if (!this._hass || !this._built) return;
    const now = Date.now();
    for (const view of this._views.values()) this._tickView(view, now);
  }

  _tickView(view, now) {
    if (!view.timed) {
      view.timed = [...view.el.querySelectorAll("[data-since],[data-until]")].map((el) => ({
        el,
        since: el.dataset.since ? Number(el.dataset.since) : null,
        until: el.dataset.until ? Number(el.dataset.until) : null,
        due: 0,
      }));
    }
    for (const item of view.timed) {
      // Recomputed when its text can change: every second in the first 90 s, then when the
      // minute changes (a time in status) or every ten seconds (a countdown).
      if (item.due > now) continue;
      let value;
      if (item.since !== null) {
        const elapsed = now - item.since;
        value = duration(this._hass, elapsed);
        item.due = elapsed < 90000 ? now + 1000 : item.since + (Math.floor(elapsed / 60000) + 1) * 60000;
      } else {
        value = relative(this._hass, item.until, now) + (item.until < now ? ` (${text(this._hass, "overdue")})` : "");
        item.due = now + (Math.abs(item.until - now) < 90000 ? 1000 : 10000);
      }
      if (item.text !== value) {
        item.text = value;
        item.el.textContent = value;
      }
    }
  }
}

function setText(el, value) {
  if (el.textContent !== value) el.textContent = value;
}

/**
 * The accounts' calendars (every order's deadline, estimate and lease end) and their figures
 * (orders completed and failed per day, from Home Assistant's statistics), as sections.
 */
function figureSections(hass) {
  const ours = Object.values(hass.entities || {}).filter((entity) => entity.platform === DOMAIN && !entity.hidden);
  const calendars = ours.filter((entity) => entity.entity_id.startsWith("calendar.")).map((entity) => entity.entity_id);
  const counts = ours
    .filter((entity) => ["orders_completed", "orders_failed"].includes(entity.translation_key))
    .map((entity) => entity.entity_id);
  const sections = [];
  if (calendars.length) {
    sections.push({
      type: "grid",
      column_span: 2,
      cards: [{ type: "calendar", entities: calendars.sort(), initial_view: "listWeek" }],
    });
  }
  if (counts.length) {
    // This month's completions (the statistic card reads the last minutes' statistics too),
    // then completions and failures per day.
    const completed = counts.filter((entityId) => hass.entities[entityId].translation_key === "orders_completed");
    sections.push({
      type: "grid",
      cards: [
        ...completed.sort().map((entity) => ({
          type: "statistic",
          entity,
          stat_type: "change",
          period: { calendar: { period: "month" } },
        })),
        {
          type: "statistics-graph",
          entities: counts.sort(),
          period: "day",
          chart_type: "bar",
          stat_types: ["change"],
          days_to_show: 30,
        },
      ],
    });
  }
  return sections;
}

/** The Orders dashboard: one section per account, each with the account's Orders card, then
 * the accounts' calendar and figures. */
class OrderTrackerDashboardStrategy extends HTMLElement {
  static async generate(config, hass) {
    const { orders, accounts } = findOrders(hass);
    const finished = FINISHED_MODES.includes(config?.finished) ? config.finished : undefined;
    await loadTranslations(hass);
    // The accounts are the integration's config entries (their current titles); the account
    // devices and the orders' devices stand in if the entries cannot be read.
    try {
      for (const entry of await hass.callWS({ type: "config_entries/get", domain: DOMAIN })) {
        accounts.set(entry.entry_id, { entryId: entry.entry_id, name: entry.title || entry.entry_id });
      }
    } catch (err) {
      /* the registries' view is enough */
    }
    for (const order of orders) {
      if (order.entryId && !accounts.has(order.entryId)) {
        accounts.set(order.entryId, { entryId: order.entryId, name: order.entryId });
      }
    }
    const entries = [...accounts.values()];
    entries.sort((a, b) => a.name.localeCompare(b.name));
    const card = (entryId) => ({
      type: `custom:${CARD}`,
      entry_id: entryId,
      ...(finished ? { finished } : {}),
    });
    const sections = entries.map((account) => ({
      type: "grid",
      cards: [
        { type: "heading", heading: account.name, heading_style: "title" },
        { ...card(account.entryId), title: "" },
      ],
    }));
    if (!sections.length) {
      sections.push({ type: "grid", cards: [{ type: `custom:${CARD}` }] });
    }
    sections.push(...figureSections(hass));
    return {
      title: config?.title || text(hass, "orders"),
      views: [
        {
          title: config?.title || text(hass, "orders"),
          path: "orders",
          icon: "mdi:package-variant-closed-check",
          type: "sections",
          max_columns: 3,
          sections,
        },
      ],
    };
  }
}

if (!customElements.get(CARD)) {
  customElements.define(CARD, OrderTrackerCard);
}
if (!customElements.get("ll-strategy-dashboard-order-tracker")) {
  customElements.define("ll-strategy-dashboard-order-tracker", OrderTrackerDashboardStrategy);
}
window.customCards = window.customCards || [];
if (!window.customCards.some((card) => card.type === CARD)) {
  // Read when the card picker opens: in the user's language once the texts are loaded.
  window.customCards.push({
    type: CARD,
    get name() {
      return text(appHass(), "card_name");
    },
    get description() {
      return text(appHass(), "card_description");
    },
    preview: true,
    documentationURL: "https://github.com/order-tracker/order_tracker#the-orders-card-and-dashboard",
  });
}
// Load the texts as soon as the app is connected (the picker may open before any card exists).
(function whenConnected(tries) {
  const hass = appHass();
  if (hass?.loadBackendTranslation) loadTranslations(hass);
  else if (tries < 60) setTimeout(() => whenConnected(tries + 1), 1000);
})(0);
