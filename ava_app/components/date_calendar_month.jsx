// The month a date field's calendar opens: react-day-picker with date-fns' locales. Loaded only when a calendar is
// first opened (date_calendar.jsx), so the pages with date fields do not carry it until then.
import React from "react";
import { DayPicker } from "react-day-picker";
import { enUS } from "react-day-picker/locale/en-US";
import { fr } from "react-day-picker/locale/fr";
import { format, isValid, parse } from "date-fns";
import "react-day-picker/style.css";

const LOCALES = { en: enUS, fr };
const ISO = "yyyy-MM-dd";

function dayOf(value) {
  if (!value) return undefined;
  const day = parse(value, ISO, new Date());
  return isValid(day) ? day : undefined;
}

// Today where the business is (the browser may be elsewhere: an owner travelling, a page read from another country).
function todayIn(zone) {
  if (!zone) return undefined;
  try {
    const fields = { year: "numeric", month: "2-digit", day: "2-digit", timeZone: zone };
    const parts = new Intl.DateTimeFormat("en-US", fields).formatToParts(new Date());
    const part = (type) => parts.find((each) => each.type === type).value;
    return dayOf(`${part("year")}-${part("month")}-${part("day")}`);
  } catch {
    return undefined;
  }
}

export default function AvaDateCalendarMonth({ value, minDay, maxDay, lang, weekStartsOn, timeZone, onPick }) {
  const selected = dayOf(value);
  const today = todayIn(timeZone);
  // "today" bounds the month by the business's today (no booking in the past, no filter in the future).
  const first = minDay === "today" ? today : dayOf(minDay);
  const last = maxDay === "today" ? today : dayOf(maxDay);
  const disabled = [first && { before: first }, last && { after: last }].filter(Boolean);
  return (
    <DayPicker
      className="ava-calendar"
      mode="single"
      required
      autoFocus
      selected={selected}
      onSelect={(day) => onPick(format(day, ISO))}
      today={today}
      defaultMonth={selected || first || today}
      startMonth={first}
      endMonth={last}
      disabled={disabled}
      locale={LOCALES[lang] || enUS}
      weekStartsOn={weekStartsOn}
      showOutsideDays
      fixedWeeks
    />
  );
}
