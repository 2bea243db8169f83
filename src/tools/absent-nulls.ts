import { toolJsonSchemaTexts, type ToolName } from '../../generated/registry.js';

/**
 * The strict schema profile (--schema-profile strict) lists every field as required and makes
 * the optional ones nullable: a caller in that shape sends `null` for a field it means to leave
 * out. Where the tool's own schema takes no null there (scripts/gen/strict.ts made the plan),
 * the field is dropped before the arguments are checked, so the call does exactly what the call
 * without it does. A null the tool takes (a stored JSON value of null) is kept.
 */

interface NullPlan {
  n?: string[];
  p?: Record<string, NullPlan>;
  i?: NullPlan;
}

const plans = new Map<ToolName, NullPlan | null>();

function planOf(name: ToolName): NullPlan | null {
  let plan = plans.get(name);
  if (plan === undefined) {
    const text = toolJsonSchemaTexts[name].nullsAbsent;
    plan = text === undefined ? null : (JSON.parse(text) as NullPlan);
    plans.set(name, plan);
  }
  return plan;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** `value` without the nulls `plan` says mean absent; the same object when there are none. */
function strip(value: unknown, plan: NullPlan): unknown {
  if (Array.isArray(value)) {
    if (plan.i === undefined) return value;
    const items = plan.i;
    let changed = false;
    const copy = value.map((item) => {
      const stripped = strip(item, items);
      if (stripped !== item) changed = true;
      return stripped;
    });
    return changed ? copy : value;
  }
  if (!isPlainObject(value)) return value;
  let copy: Record<string, unknown> | undefined;
  for (const field of plan.n ?? []) {
    if (Object.hasOwn(value, field) && value[field] === null) {
      copy ??= { ...value };
      delete copy[field];
    }
  }
  for (const [field, inner] of Object.entries(plan.p ?? {})) {
    if (!Object.hasOwn(value, field)) continue;
    const before = value[field];
    const after = strip(before, inner);
    if (after !== before && (copy === undefined || Object.hasOwn(copy, field))) {
      copy ??= { ...value };
      copy[field] = after;
    }
  }
  return copy ?? value;
}

/** A call's arguments with the nulls meaning "absent" left out (the strict profile's shape). */
export function withoutAbsentNulls(name: ToolName, args: unknown): unknown {
  const plan = planOf(name);
  return plan === null ? args : strip(args, plan);
}
