// The calendar beside a date field: a button that opens, in a Radix popover, the month in the page's language and
// the business's week, whatever the browser's own locale. The field keeps ISO days ("2026-12-07"); so does this
// calendar. The month itself (react-day-picker, date-fns) is loaded the first time a calendar opens.
import React, { Suspense, lazy, useState } from "react";
import { Popover } from "@radix-ui/themes";
import "./date_calendar.css";

const Month = lazy(() => import("./date_calendar_month.jsx"));

export function AvaDateCalendar({ value, minDay, maxDay, lang, weekStartsOn, timeZone, label, onPick, children }) {
  const [open, setOpen] = useState(false);
  const pick = (day) => {
    setOpen(false);
    if (onPick) onPick(day);
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
        <Suspense fallback={<div className="ava-calendar-loading" />}>
          <Month
            value={value}
            minDay={minDay}
            maxDay={maxDay}
            lang={lang}
            weekStartsOn={weekStartsOn}
            timeZone={timeZone}
            onPick={pick}
          />
        </Suspense>
      </Popover.Content>
    </Popover.Root>
  );
}
