// The calendar beside a date field: react-day-picker in a Radix popover, in the page's language and the business's
// week, whatever the browser's own locale. The field keeps ISO days ("2026-12-07"); so does this calendar.
import React, { useState } from "react";
import { Popover } from "@radix-ui/themes";
import { DayPicker } from "react-day-picker";
import { enUS } from "react-day-picker/locale/en-US";
import { fr } from "react-day-picker/locale/fr";
import { format, isValid, parse } from "date-fns";
import "react-day-picker/style.css";
import "./date_calendar.css";

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

export function AvaDateCalendar({ value, minDay, maxDay, lang, weekStartsOn, timeZone, label, onPick, children }) {
  const [open, setOpen] = useState(false);
  const today = open ? todayIn(timeZone) : undefined;
  const selected = dayOf(value);
  const first = dayOf(minDay);
  const last = dayOf(maxDay);
  const disabled = [first && { before: first }, last && { after: last }].filter(Boolean);
  const pick = (day) => {
    setOpen(false);
    if (day && onPick) onPick(format(day, ISO));
  };
  return (
    <Popover.Root open={open} onOpenChange={setOpen}>
      <Popover.Trigger>
        <button type="button" className="ava-calendar-button" aria-label={label} title={label}>
          {children}
        </button>
      </Popover.Trigger>
      <Popover.Content
        size="1"
        align="end"
        className="ava-calendar-popover"
        // The calendar puts the focus on the chosen day (or today) itself; the popover would put it on "previous
        // month".
        onOpenAutoFocus={(event) => event.preventDefault()}
      >
        <DayPicker
          className="ava-calendar"
          mode="single"
          required
          autoFocus
          selected={selected}
          onSelect={pick}
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
      </Popover.Content>
    </Popover.Root>
  );
}
