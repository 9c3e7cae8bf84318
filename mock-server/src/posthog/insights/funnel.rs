//! The per-person funnel scan (reference §5.3): one pass over a person's matching events,
//! oldest first, giving the furthest step reached. Ordered, strict and unordered funnels, with
//! exclusions; free of the project, so it is tested against a brute force on random histories.

/// How steps must follow each other.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// Each step after the previous one, other events allowed between (the default).
    Ordered,
    /// Each step the very next event after the previous one.
    Strict,
    /// Steps in any order.
    Unordered,
}

/// One exclusion: an event that voids an attempt between 0-based steps `from` and `to`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exclusion {
    /// The 0-based step after which the exclusion starts to count.
    pub from: usize,
    /// The 0-based step before which it stops counting.
    pub to: usize,
}

/// One event of a person's stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    /// Its time, in microseconds.
    pub timestamp: i64,
    /// The 0-based steps it matches, as bits.
    pub steps: u64,
    /// The exclusions it matches (indices into the funnel's exclusions), as bits.
    pub exclusions: u64,
}

/// A funnel's shape: step count, order, conversion window and exclusions.
#[derive(Clone, Debug)]
pub struct Funnel {
    /// How many steps.
    pub steps: usize,
    /// How steps must follow each other.
    pub order: Order,
    /// The conversion window, in microseconds, measured from the attempt's first step.
    pub window: i64,
    /// The exclusions.
    pub exclusions: Vec<Exclusion>,
}

/// An attempt: the funnel started at `start`, its furthest step (reached at `end`) and
/// whether an exclusion voided it.
#[derive(Clone, Copy, Debug)]
struct Attempt {
    start: i64,
    end: i64,
    level: usize,
    voided: bool,
}

/// How far a person got: the level, when the attempt that got there started and when it
/// reached that level.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// The furthest step (1-based); 0 when out of the funnel.
    pub level: usize,
    /// The first step's time.
    pub start: i64,
    /// The furthest step's time.
    pub end: i64,
}

/// Where one level stands: the attempt holding it, the time and the stream index of the event
/// that reached it.
#[derive(Clone, Copy, Debug)]
struct Reached {
    attempt: usize,
    at: i64,
    event: usize,
}

impl Funnel {
    /// The person's level: the furthest step (1-based) a clean attempt reached, 0 when the
    /// person never entered, or when their furthest attempt was voided by an exclusion and no
    /// clean attempt reached as far (the person leaves the whole funnel). `events` are the
    /// person's stream, oldest first.
    #[cfg(test)]
    pub fn level(&self, events: &[Event]) -> usize {
        self.progress(events).level
    }

    /// The person's level — the furthest step (1-based) a clean attempt reached; 0 when the
    /// person never entered, or when an exclusion voided every attempt that got furthest (the
    /// person then leaves the whole funnel) — with the times of the earliest clean attempt
    /// that reached it. `events` are the person's stream, oldest first.
    pub fn progress(&self, events: &[Event]) -> Progress {
        match self.order {
            Order::Unordered => self.unordered(events),
            Order::Ordered | Order::Strict => self.ordered(events),
        }
    }

    /// Ordered and strict: the attempt-tracking scan. Events of one timestamp are expanded to
    /// (event, step) pairs taken in step order, an event never serving two consecutive steps.
    fn ordered(&self, events: &[Event]) -> Progress {
        let n = self.steps;
        let mut attempts: Vec<Attempt> = Vec::new();
        let mut reach: Vec<Option<Reached>> = vec![None; n];
        let mut group_start = 0;
        while group_start < events.len() {
            let t = events[group_start].timestamp;
            let group_end = group_start
                + events[group_start..]
                    .iter()
                    .take_while(|event| event.timestamp == t)
                    .count();
            let group = group_start..group_end;
            for index in group.clone() {
                self.void(&mut attempts, &reach, events[index], t);
            }
            for step in 0..n {
                for index in group.clone() {
                    if events[index].steps & (1 << step) == 0 {
                        continue;
                    }
                    if step == 0 {
                        attempts.push(Attempt {
                            start: t,
                            end: t,
                            level: 1,
                            voided: false,
                        });
                        reach[0] = Some(Reached {
                            attempt: attempts.len() - 1,
                            at: t,
                            event: index,
                        });
                        continue;
                    }
                    let Some(previous) = reach[step - 1] else {
                        continue;
                    };
                    let attempt = previous.attempt;
                    let same = reach[step].is_some_and(|held| held.attempt == attempt);
                    if previous.event == index || same || t - attempts[attempt].start > self.window
                    {
                        continue;
                    }
                    if step + 1 > attempts[attempt].level {
                        attempts[attempt].level = step + 1;
                        attempts[attempt].end = t;
                    }
                    reach[step] = Some(Reached {
                        attempt,
                        at: t,
                        event: index,
                    });
                }
            }
            if self.order == Order::Strict && group.len() == 1 {
                let matched = events[group_start].steps;
                for (step, held) in reach.iter_mut().enumerate() {
                    if matched & (1 << step) == 0 {
                        *held = None;
                    }
                }
            }
            if reach[n - 1].is_some() && self.exclusions.is_empty() {
                break;
            }
            group_start = group_end;
        }
        let best = attempts.iter().map(|a| a.level).max().unwrap_or(0);
        let clean = attempts
            .iter()
            .filter(|a| !a.voided && a.level == best)
            .min_by_key(|a| a.end);
        match clean {
            Some(attempt) => Progress {
                level: best,
                start: attempt.start,
                end: attempt.end,
            },
            None => Progress::default(),
        }
    }

    /// Voids the attempts `event` (at `t`) excludes: those whose furthest step `i` (1-based)
    /// lies in an exclusion's range, reached before `t`, within the window of their start.
    fn void(&self, attempts: &mut [Attempt], reach: &[Option<Reached>], event: Event, t: i64) {
        if event.exclusions == 0 {
            return;
        }
        for (bit, exclusion) in self.exclusions.iter().enumerate() {
            if event.exclusions & (1 << bit) == 0 {
                continue;
            }
            for level in exclusion.from + 1..=exclusion.to {
                let Some(held) = reach.get(level - 1).copied().flatten() else {
                    continue;
                };
                let attempt = &mut attempts[held.attempt];
                if attempt.level == level && held.at < t && t - attempt.start <= self.window {
                    attempt.voided = true;
                }
            }
        }
    }

    /// Unordered: the most distinct steps with an event inside one window (the oldest event
    /// kept within the window of the newest); an exclusion event empties the window.
    fn unordered(&self, events: &[Event]) -> Progress {
        let mut counts = vec![0usize; self.steps];
        let mut best = Progress::default();
        let mut oldest = 0;
        for (index, event) in events.iter().enumerate() {
            if event.exclusions != 0 {
                counts.iter_mut().for_each(|count| *count = 0);
                oldest = index + 1;
                continue;
            }
            if event.steps == 0 {
                continue;
            }
            while events[oldest].timestamp + self.window < event.timestamp {
                add(&mut counts, events[oldest].steps, false);
                oldest += 1;
            }
            add(&mut counts, event.steps, true);
            let window_events = events[oldest..=index]
                .iter()
                .filter(|event| event.steps != 0)
                .count();
            let distinct = counts.iter().filter(|count| **count > 0).count();
            let level = distinct.min(window_events);
            if level > best.level {
                best = Progress {
                    level,
                    start: events[oldest].timestamp,
                    end: event.timestamp,
                };
            }
        }
        best
    }
}

/// Adds (or removes) one event's steps to the per-step counts.
fn add(counts: &mut [usize], steps: u64, adding: bool) {
    for (step, count) in counts.iter_mut().enumerate() {
        if steps & (1 << step) != 0 {
            *count = if adding { *count + 1 } else { *count - 1 };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const DAY: i64 = 86_400_000_000;

    fn step(day: i64, step: usize) -> Event {
        Event {
            timestamp: day * DAY,
            steps: 1 << step,
            exclusions: 0,
        }
    }

    fn funnel(steps: usize, order: Order) -> Funnel {
        Funnel {
            steps,
            order,
            window: 7 * DAY,
            exclusions: Vec::new(),
        }
    }

    /// The ordered level by its definition: over each step-1 event, the greedy chain of the
    /// earliest next step at or after the previous one (another event), within the window.
    fn brute_ordered(funnel: &Funnel, events: &[Event]) -> usize {
        let mut best = 0;
        for (start, first) in events.iter().enumerate() {
            if first.steps & 1 == 0 {
                continue;
            }
            let mut level = 1;
            let mut at = start;
            while level < funnel.steps {
                let next = (at + 1..events.len()).find(|&i| {
                    events[i].steps & (1 << level) != 0
                        && events[i].timestamp - first.timestamp <= funnel.window
                });
                match next {
                    Some(i) => {
                        level += 1;
                        at = i;
                    }
                    None => break,
                }
            }
            best = best.max(level);
        }
        best
    }

    #[test]
    fn s1_ordered_levels() {
        let f = funnel(3, Order::Ordered);
        assert_eq!(f.level(&[step(1, 0), step(3, 1), step(5, 2)]), 3);
        assert_eq!(f.level(&[step(1, 0), step(3, 1)]), 2);
        assert_eq!(f.level(&[step(1, 0)]), 1);
        assert_eq!(f.level(&[step(3, 1), step(5, 2)]), 0);
        assert_eq!(f.level(&[step(1, 0), step(9, 1)]), 1, "outside the window");
    }

    #[test]
    fn s6_strict_breaks_on_another_event() {
        let f = funnel(3, Order::Strict);
        let other = Event {
            timestamp: 2 * DAY,
            steps: 0,
            exclusions: 0,
        };
        assert_eq!(f.level(&[step(1, 0), other, step(3, 1), step(5, 2)]), 1);
        assert_eq!(f.level(&[step(1, 0), step(3, 1)]), 2);
    }

    #[test]
    fn s7_unordered_counts_distinct_steps() {
        let f = funnel(3, Order::Unordered);
        assert_eq!(f.level(&[step(1, 0), step(3, 2), step(5, 1)]), 3);
        assert_eq!(f.level(&[step(1, 1), step(3, 0)]), 2);
        assert_eq!(f.level(&[step(1, 0)]), 1);
    }

    #[test]
    fn same_timestamp_steps_convert_in_funnel_order() {
        let f = funnel(2, Order::Ordered);
        assert_eq!(f.level(&[step(1, 1), step(1, 0)]), 2);
        let both = Event {
            timestamp: DAY,
            steps: 0b11,
            exclusions: 0,
        };
        assert_eq!(f.level(&[both]), 1, "one event serves one step");
    }

    #[test]
    fn an_exclusion_voids_the_attempt_and_removes_the_person() {
        let mut f = funnel(3, Order::Ordered);
        f.exclusions.push(Exclusion { from: 0, to: 1 });
        let excluded = Event {
            timestamp: 2 * DAY,
            steps: 0,
            exclusions: 1,
        };
        assert_eq!(f.level(&[step(1, 0), excluded, step(3, 1)]), 0);
        assert_eq!(
            f.level(&[step(1, 0), step(3, 1), excluded]),
            2,
            "after the range"
        );
        let late = Event {
            timestamp: 20 * DAY,
            ..excluded
        };
        assert_eq!(f.level(&[step(1, 0), late]), 1, "outside the window");
        assert_eq!(
            f.level(&[step(1, 0), excluded, step(10, 0), step(11, 1)]),
            2,
            "a later clean attempt"
        );
    }

    proptest! {
        #[test]
        fn ordered_matches_the_greedy_definition(
            raw in proptest::collection::vec((0i64..30, 0usize..4), 0..25)
        ) {
            let mut events: Vec<Event> = raw
                .iter()
                .enumerate()
                .map(|(i, (day, s))| Event {
                    timestamp: day * DAY + i64::try_from(i).unwrap_or(0),
                    steps: 1 << s,
                    exclusions: 0,
                })
                .collect();
            events.sort_by_key(|event| event.timestamp);
            let f = funnel(4, Order::Ordered);
            prop_assert_eq!(f.level(&events), brute_ordered(&f, &events));
        }
    }
}
