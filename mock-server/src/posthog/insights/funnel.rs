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
    /// Under step attribution, whether it lacks the breakdown value being run, so that it
    /// cannot serve the attributed step.
    pub lacks: bool,
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
    /// Under step attribution, the 0-based step whose event must carry the breakdown value
    /// (an unordered funnel: the first event held, reference §5.5).
    pub attributed: Option<usize>,
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

/// An attempt as it stands at one level: when its first step happened, when it reached the
/// level, whether an exclusion tainted it, and its last link in the scan's chain arena (set
/// in a timestamp of mixed events only).
#[derive(Clone, Copy, Debug)]
struct Entered {
    start: i64,
    end: i64,
    excluded: bool,
    link: Option<usize>,
}

/// One event an attempt used: its stream index and the attempt's previous link.
#[derive(Clone, Copy, Debug)]
struct Link {
    event: usize,
    previous: Option<usize>,
}

/// The ordered scan's state (reference §5.3): per level 0..=n the attempt holding it (level 0
/// is the virtual start, reset at every timestamp), the furthest level seen with its attempt,
/// and the arena of the events attempts used.
struct Scan<'a> {
    funnel: &'a Funnel,
    events: &'a [Event],
    entered: Vec<Option<Entered>>,
    best: (usize, Option<Entered>),
    links: Vec<Link>,
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

    /// The person's level — the furthest step (1-based) reached; 0 when the person never
    /// entered, or when an exclusion tainted the attempt holding the furthest level (the
    /// person then leaves the whole funnel) — with the times of that attempt. `events` are the
    /// person's stream, oldest first.
    pub fn progress(&self, events: &[Event]) -> Progress {
        match self.order {
            Order::Unordered => self.unordered(events, (i64::MIN, i64::MAX)),
            Order::Ordered | Order::Strict => self.ordered(events),
        }
    }

    /// The person's progress in one entrance period, as PostHog's funnel-trends UDF counts a
    /// person once per period: [`Funnel::progress`] over the attempts entering the funnel at
    /// `from` or later and before `until` (ordered and strict: those starting with a step-1
    /// event then; unordered: the windows whose oldest event falls then). Later steps may
    /// happen after the period, within the window.
    pub fn progress_entering(&self, events: &[Event], (from, until): (i64, i64)) -> Progress {
        match self.order {
            Order::Unordered => self.unordered(events, (from, until)),
            Order::Ordered | Order::Strict => {
                let entering = |at: i64| from <= at && at < until;
                let stream: Vec<Event> = events
                    .iter()
                    .map(|event| Event {
                        steps: if entering(event.timestamp) {
                            event.steps
                        } else {
                            event.steps & !1
                        },
                        ..*event
                    })
                    // A strict funnel's stream holds every event; an ordered one's only the
                    // events matching a step or an exclusion.
                    .filter(|event| {
                        self.order == Order::Strict || event.steps != 0 || event.exclusions != 0
                    })
                    .collect();
                self.ordered(&stream)
            }
        }
    }

    /// The levels (1-based, as bits) whose attempts `exclusions` (bits of the funnel's
    /// exclusions) taint: `from + 1 ..= to` of each.
    fn excluded_levels(&self, exclusions: u64) -> u64 {
        self.exclusions
            .iter()
            .enumerate()
            .filter(|(bit, _)| exclusions & (1 << bit) != 0)
            .fold(0, |levels, (_, exclusion)| {
                (exclusion.from + 1..=exclusion.to)
                    .fold(levels, |levels, level| levels | (1 << level))
            })
    }

    /// Ordered and strict, as PostHog's funnel UDF: events grouped by timestamp; a lone event,
    /// or a group of events matching the same steps and exclusions, processed event by event
    /// (its exclusion levels, then its steps, each highest first; strict then clears every
    /// level the event did not match); a mixed group expanded to (event, step) pairs taken in
    /// step order, exclusions ignored, an attempt never using one event twice. Stops once the
    /// last level is held.
    fn ordered(&self, events: &[Event]) -> Progress {
        let mut scan = Scan {
            funnel: self,
            events,
            entered: vec![None; self.steps + 1],
            best: (0, None),
            links: Vec::new(),
        };
        let mut group_start = 0;
        while group_start < events.len() {
            let t = events[group_start].timestamp;
            let group_end = group_start
                + events[group_start..]
                    .iter()
                    .take_while(|event| event.timestamp == t)
                    .count();
            scan.entered[0] = Some(Entered {
                start: t,
                end: t,
                excluded: false,
                link: None,
            });
            let shape = |event: &Event| (event.steps, self.excluded_levels(event.exclusions));
            let first = shape(&events[group_start]);
            if events[group_start + 1..group_end]
                .iter()
                .all(|event| shape(event) == first)
            {
                for index in group_start..group_end {
                    scan.event(index);
                }
            } else {
                for step in 0..self.steps {
                    for (offset, event) in events[group_start..group_end].iter().enumerate() {
                        if event.steps & (1 << step) != 0 {
                            scan.step(group_start + offset, step + 1, true);
                        }
                    }
                }
            }
            if scan.entered[self.steps].is_some() {
                break;
            }
            group_start = group_end;
        }
        match scan.best {
            (level, Some(best)) if !best.excluded => Progress {
                level,
                start: best.start,
                end: best.end,
            },
            _ => Progress::default(),
        }
    }

    /// Unordered, as PostHog's funnel UDF: per step a queue of the events assigned to it; each
    /// event first evicts the oldest queued events outside its window (all of them once every
    /// step is held), noting the count of held steps before each eviction; an exclusion then
    /// empties the queues, a step event joins the queue of its matching step whose newest
    /// event is oldest (under step attribution, while `attributed` steps are held, only an
    /// event carrying the value). The count is noted once more after the last event. Only
    /// windows whose oldest event is in `entering` (from, until) are noted.
    fn unordered(&self, events: &[Event], (from, until): (i64, i64)) -> Progress {
        let n = self.steps;
        let mut queues: Vec<std::collections::VecDeque<usize>> = vec![Default::default(); n];
        let mut held = 0;
        let mut best = Progress::default();
        let note =
            |queues: &[std::collections::VecDeque<usize>], held: usize, best: &mut Progress| {
                let fronts = queues
                    .iter()
                    .filter_map(|queue| queue.front().map(|&index| events[index].timestamp));
                let (start, end) = fronts.fold((i64::MAX, i64::MIN), |(start, end), at| {
                    (start.min(at), end.max(at))
                });
                if held > best.level && from <= start && start < until {
                    *best = Progress {
                        level: held,
                        start,
                        end,
                    };
                }
            };
        for (index, event) in events.iter().enumerate() {
            let t = event.timestamp;
            loop {
                let oldest = (0..n)
                    .filter_map(|step| {
                        queues[step]
                            .front()
                            .map(|&front| (events[front].timestamp, step))
                    })
                    .min();
                let Some((at, step)) = oldest else {
                    break;
                };
                if held < n && at.saturating_add(self.window) >= t {
                    break;
                }
                note(&queues, held, &mut best);
                queues[step].pop_front();
                if queues[step].is_empty() {
                    held -= 1;
                }
            }
            if event.steps == 0 {
                queues
                    .iter_mut()
                    .for_each(std::collections::VecDeque::clear);
                held = 0;
            } else if !(event.lacks && self.attributed == Some(held)) {
                let step = (0..n)
                    .filter(|step| event.steps & (1 << step) != 0)
                    .min_by_key(|&step| queues[step].back().map(|&back| events[back].timestamp))
                    .unwrap_or(0);
                if queues[step].is_empty() {
                    held += 1;
                }
                queues[step].push_back(index);
            }
            if best.level == n {
                break;
            }
            if index + 1 == events.len() {
                note(&queues, held, &mut best);
            }
        }
        best
    }
}

impl Scan<'_> {
    /// One event processed alone: its exclusion levels, then its steps, highest first; strict
    /// then clears every level it did not match.
    fn event(&mut self, index: usize) {
        let event = self.events[index];
        let mut levels = self.funnel.excluded_levels(event.exclusions);
        while levels != 0 {
            let level = 63 - levels.leading_zeros() as usize;
            self.exclusion(event.timestamp, level);
            levels &= !(1 << level);
        }
        for step in (1..=self.funnel.steps).rev() {
            if event.steps & (1 << (step - 1)) != 0 {
                self.step(index, step, false);
            }
        }
        if self.funnel.order == Order::Strict {
            for step in 1..=self.funnel.steps {
                if event.steps & (1 << (step - 1)) == 0 {
                    self.entered[step] = None;
                }
            }
        }
    }

    /// The attempt at `level - 1`, when it is within the window at `t` and has not moved on
    /// to `level`.
    fn open(&self, level: usize, t: i64) -> Option<Entered> {
        let previous = self.entered[level - 1]?;
        let moved_on = self.entered[level].is_some_and(|held| held.start == previous.start);
        (t - previous.start <= self.funnel.window && !moved_on).then_some(previous)
    }

    /// An exclusion event at `t` taints the open attempt at `level`, and the furthest attempt
    /// when that is at `level` and within the window.
    fn exclusion(&mut self, t: i64, level: usize) {
        let Some(previous) = self.open(level + 1, t) else {
            return;
        };
        if previous.excluded {
            return;
        }
        if let Some(held) = &mut self.entered[level] {
            held.excluded = true;
        }
        if let (best_level, Some(best)) = &mut self.best
            && *best_level == level
            && t - best.start <= self.funnel.window
        {
            best.excluded = true;
        }
    }

    /// Event `index` as step `step` (1-based): extends the open attempt one level below
    /// (kept there only when untainted), and becomes the furthest attempt when it goes further
    /// or replaces a tainted one; in a mixed group (`shared`) an attempt never reuses an
    /// event, and under step attribution the attributed step needs an event carrying the value.
    fn step(&mut self, index: usize, step: usize, shared: bool) {
        let t = self.events[index].timestamp;
        let Some(previous) = self.open(step, t) else {
            return;
        };
        let unattributed = self.funnel.attributed == Some(step - 1) && self.events[index].lacks;
        if unattributed || (shared && self.uses(previous.link, index, t)) {
            return;
        }
        // Only a mixed group reads the links, and only those of its own time.
        let link = shared.then(|| {
            self.links.push(Link {
                event: index,
                previous: previous.link,
            });
            self.links.len() - 1
        });
        let extended = Entered {
            start: previous.start,
            end: t,
            excluded: previous.excluded,
            link,
        };
        if !previous.excluded {
            self.entered[step] = Some(extended);
        }
        let (best_level, best) = self.best;
        if step > best_level || (step == best_level && best.is_some_and(|best| best.excluded)) {
            self.best = (step, Some(extended));
        }
    }

    /// Whether the attempt ending at `link` used event `index` (of time `t`): only its links
    /// of that time can be it.
    fn uses(&self, mut link: Option<usize>, index: usize, t: i64) -> bool {
        while let Some(at) = link {
            let Link { event, previous } = self.links[at];
            if self.events[event].timestamp != t {
                return false;
            }
            if event == index {
                return true;
            }
            link = previous;
        }
        false
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
            lacks: false,
        }
    }

    fn funnel(steps: usize, order: Order) -> Funnel {
        Funnel {
            steps,
            order,
            window: 7 * DAY,
            exclusions: Vec::new(),
            attributed: None,
        }
    }

    /// The ordered level by its definition: over each step-1 event, the greedy chain of the
    /// earliest next step at or after the previous one (another event), within the window.
    fn brute_ordered(funnel: &Funnel, events: &[Event]) -> usize {
        brute_ordered_entering(funnel, events, |_| true)
    }

    /// [`brute_ordered`] over the step-1 events at times `entering` admits only.
    fn brute_ordered_entering(
        funnel: &Funnel,
        events: &[Event],
        entering: impl Fn(i64) -> bool,
    ) -> usize {
        let mut best = 0;
        for (start, first) in events.iter().enumerate() {
            if first.steps & 1 == 0 || !entering(first.timestamp) {
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

    /// An attempt in [`udf_level`]: its start (`None`: no attempt), whether an exclusion
    /// tainted it, and the events it used.
    #[derive(Clone, Debug, Default)]
    struct Attempt {
        start: Option<i64>,
        excluded: bool,
        used: Vec<usize>,
    }

    /// An event as PostHog's UDF sees it: its 1-based steps ascending, then `-(i + 1)` for
    /// each 0-based step `i` (1..n) some matched exclusion covers (`from < i <= to`).
    fn codes(f: &Funnel, event: &Event) -> Vec<i64> {
        let n = f.steps as i64;
        let mut codes: Vec<i64> = (1..=n)
            .filter(|s| event.steps >> (s - 1) & 1 == 1)
            .collect();
        for i in 1..n {
            let covered = f.exclusions.iter().enumerate().any(|(bit, x)| {
                event.exclusions >> bit & 1 == 1 && (x.from as i64) < i && i <= x.to as i64
            });
            if covered {
                codes.push(-(i + 1));
            }
        }
        codes
    }

    /// The person's level by the reference's per-person algorithm (§5.3, PostHog's funnel
    /// UDF), transcribed naively and independently of the engine: attempts as cloned records
    /// holding the events they used, events as code lists.
    fn udf_level(f: &Funnel, events: &[Event]) -> usize {
        if f.order == Order::Unordered {
            return udf_unordered(f, events);
        }
        let n = f.steps;
        let mut entered = vec![Attempt::default(); n + 1];
        let mut max = (0, Attempt::default());
        let mut i = 0;
        while i < events.len() {
            let t = events[i].timestamp;
            let j = i + events[i..].iter().take_while(|e| e.timestamp == t).count();
            entered[0] = Attempt {
                start: Some(t),
                ..Attempt::default()
            };
            let group: Vec<Vec<i64>> = events[i..j].iter().map(|e| codes(f, e)).collect();
            if group.iter().all(|codes| *codes == group[0]) {
                for (k, codes) in group.iter().enumerate() {
                    udf_event(f, &mut entered, &mut max, t, i + k, codes, false);
                }
            } else {
                let mut pairs: Vec<(i64, usize)> = group
                    .iter()
                    .enumerate()
                    .flat_map(|(k, codes)| {
                        codes.iter().filter(|c| **c > 0).map(move |c| (*c, i + k))
                    })
                    .collect();
                pairs.sort_by_key(|pair| pair.0);
                for (code, k) in pairs {
                    udf_event(f, &mut entered, &mut max, t, k, &[code], true);
                }
            }
            if entered[n].start.is_some() {
                break;
            }
            i = j;
        }
        if max.1.excluded { 0 } else { max.0 }
    }

    /// One event (or one (event, step) pair when `multiple`) of [`udf_level`].
    fn udf_event(
        f: &Funnel,
        entered: &mut [Attempt],
        max: &mut (usize, Attempt),
        t: i64,
        index: usize,
        codes: &[i64],
        multiple: bool,
    ) {
        for &code in codes.iter().rev() {
            let s = code.unsigned_abs() as usize;
            let previous = entered[s - 1].clone();
            let Some(start) = previous.start else {
                continue;
            };
            if t - start > f.window || entered[s].start == Some(start) {
                continue;
            }
            if code < 0 {
                if !previous.excluded {
                    entered[s - 1].excluded = true;
                    if max.0 == s - 1 && max.1.start.is_some_and(|m| t - m <= f.window) {
                        max.1.excluded = true;
                    }
                }
            } else if !(multiple && previous.used.contains(&index)) {
                let mut used = previous.used.clone();
                used.push(index);
                let next = Attempt {
                    start: Some(start),
                    excluded: previous.excluded,
                    used,
                };
                if !previous.excluded {
                    entered[s] = next.clone();
                }
                if s > max.0 || (s == max.0 && max.1.excluded) {
                    *max = (s, next);
                }
            }
        }
        if !multiple && f.order == Order::Strict {
            for (s, attempt) in entered.iter_mut().enumerate().skip(1) {
                if !codes.contains(&(s as i64)) {
                    *attempt = Attempt::default();
                }
            }
        }
    }

    /// The unordered level of [`udf_level`]: per step the queue of event times assigned to
    /// it; an event evicts the oldest fronts beyond its window (every front once all steps
    /// are held), noting the held count before each; an exclusion-only event empties all; a
    /// step event joins its matching step whose newest time is oldest.
    fn udf_unordered(f: &Funnel, events: &[Event]) -> usize {
        let n = f.steps;
        let mut queues = vec![std::collections::VecDeque::<i64>::new(); n];
        let (mut held, mut max) = (0, 0);
        for (i, event) in events.iter().enumerate() {
            loop {
                let oldest = queues
                    .iter()
                    .enumerate()
                    .filter_map(|(k, q)| q.front().map(|at| (k, *at)))
                    .min_by(|a, b| a.1.cmp(&b.1));
                let Some((k, at)) = oldest else { break };
                if held < n && at + f.window >= event.timestamp {
                    break;
                }
                max = max.max(held);
                queues[k].pop_front();
                if queues[k].is_empty() {
                    held -= 1;
                }
            }
            let codes = codes(f, event);
            if codes.iter().all(|c| *c < 0) {
                queues.iter_mut().for_each(|q| q.clear());
                held = 0;
            } else {
                let code = codes
                    .iter()
                    .filter(|c| **c > 0)
                    .min_by_key(|c| queues[**c as usize - 1].back().copied().unwrap_or(0))
                    .copied()
                    .unwrap_or(1);
                let queue = &mut queues[code as usize - 1];
                if queue.is_empty() {
                    held += 1;
                }
                queue.push_back(event.timestamp);
            }
            if max == n {
                break;
            }
            if i + 1 == events.len() {
                max = max.max(held);
            }
        }
        max
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
            lacks: false,
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
            lacks: false,
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
            lacks: false,
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

    fn event(day: i64, steps: u64, exclusions: u64) -> Event {
        Event {
            timestamp: day * DAY,
            steps,
            exclusions,
            lacks: false,
        }
    }

    #[test]
    fn an_event_matching_consecutive_steps_serves_the_higher_first() {
        for order in [Order::Ordered, Order::Strict] {
            let f = funnel(2, order);
            assert_eq!(f.level(&[event(1, 0b11, 0), event(2, 0b11, 0)]), 2);
            let f = funnel(3, order);
            let views = [event(1, 0b111, 0), event(2, 0b111, 0), event(3, 0b111, 0)];
            assert_eq!(f.level(&views), 3);
            assert_eq!(f.level(&views[..1]), 1);
        }
    }

    #[test]
    fn strict_clears_after_a_timestamp_of_equal_events() {
        let f = funnel(2, Order::Strict);
        let others = [event(2, 0, 0), event(2, 0, 0)];
        assert_eq!(f.level(&[step(1, 0), others[0], others[1], step(3, 1)]), 1);
    }

    #[test]
    fn an_exclusion_taints_the_furthest_attempt_at_its_level() {
        let mut f = funnel(3, Order::Ordered);
        f.exclusions.push(Exclusion { from: 0, to: 1 });
        let excluded = event(3, 0, 1);
        assert_eq!(
            f.level(&[step(1, 0), step(2, 0), excluded]),
            0,
            "the furthest level's first attempt is tainted too"
        );
        let history = [
            step(1, 0),
            event(2, 0, 1),
            step(3, 1),
            step(4, 2),
            step(5, 0),
            step(6, 1),
        ];
        assert_eq!(f.level(&history), 2, "an excluded attempt does not advance");
    }

    #[test]
    fn unordered_assigns_an_event_one_step() {
        let f = funnel(3, Order::Unordered);
        let history = [step(1, 0), step(2, 0), event(3, 0b110, 0)];
        assert_eq!(f.level(&history), 2);
    }

    #[test]
    fn step_attribution_needs_the_attributed_step_to_carry_the_value() {
        let mut f = funnel(3, Order::Ordered);
        f.attributed = Some(1);
        let lacking = Event {
            lacks: true,
            ..step(2, 1)
        };
        assert_eq!(f.level(&[step(1, 0), lacking, step(3, 2)]), 1);
        assert_eq!(f.level(&[step(1, 0), lacking, step(3, 1), step(4, 2)]), 3);
        let mut f = funnel(2, Order::Unordered);
        f.attributed = Some(0);
        let first = Event {
            lacks: true,
            ..step(1, 0)
        };
        assert_eq!(
            f.level(&[first, step(2, 1)]),
            1,
            "the first held event carries it"
        );
        let second = Event {
            lacks: true,
            ..step(2, 1)
        };
        assert_eq!(f.level(&[first, second]), 0);
        assert_eq!(f.level(&[step(1, 0), second]), 2);
    }

    /// Funnel trends: a person entering on two days is in each day's period with what that
    /// day's attempts reached, a conversion after the period (within the window) counting.
    #[test]
    fn each_entrance_period_runs_its_own_attempts() {
        let f = funnel(3, Order::Ordered);
        let events = [step(1, 0), step(3, 0), step(4, 1), step(5, 2)];
        let day = |d: i64| (d * DAY, (d + 1) * DAY);
        assert_eq!(
            f.progress_entering(&events, day(1)).level,
            3,
            "day 1's attempt"
        );
        assert_eq!(f.progress_entering(&events, day(3)).level, 3);
        assert_eq!(
            f.progress_entering(&events, day(2)).level,
            0,
            "nobody entered"
        );
        // Dropping off one day and converting another: the day-1 attempt's window closes
        // before the conversion.
        let events = [step(1, 0), step(10, 0), step(11, 1), step(12, 2)];
        assert_eq!(f.progress_entering(&events, day(1)).level, 1);
        assert_eq!(f.progress_entering(&events, day(10)).level, 3);
        // A week period holding both entries takes the furthest.
        assert_eq!(f.progress_entering(&events, (0, 14 * DAY)).level, 3);
        // Unordered: a window counts in the period of its oldest event.
        let u = funnel(3, Order::Unordered);
        let events = [step(1, 2), step(10, 1), step(11, 0), step(12, 2)];
        assert_eq!(u.progress_entering(&events, day(1)).level, 1);
        assert_eq!(u.progress_entering(&events, day(10)).level, 3);
        assert_eq!(
            u.progress_entering(&events, day(11)).level,
            0,
            "held by day 10's window"
        );
        // Strict: an event of another period still breaks the chain.
        let s = funnel(2, Order::Strict);
        let other = Event {
            steps: 0,
            ..step(2, 0)
        };
        assert_eq!(
            s.progress_entering(&[step(1, 0), other, step(3, 1)], day(1))
                .level,
            1
        );
        assert_eq!(
            s.progress_entering(&[step(1, 0), step(3, 1)], day(1)).level,
            2
        );
    }

    proptest! {
        /// Per entrance period, the ordered scan equals the greedy definition over the
        /// step-1 events of that period; for every order, the furthest of all periods is the
        /// person's level.
        #[test]
        fn entrance_periods_partition_the_attempts(
            order in prop::sample::select(vec![Order::Ordered, Order::Strict, Order::Unordered]),
            raw in proptest::collection::vec((0i64..30, 0u64..8), 0..25),
            period in 1i64..5,
        ) {
            let mut events: Vec<Event> = raw
                .iter()
                .enumerate()
                .map(|(i, (day, steps))| Event {
                    timestamp: day * DAY + i64::try_from(i).unwrap_or(0),
                    steps: *steps,
                    exclusions: 0,
                    lacks: false,
                })
                .filter(|e| order == Order::Strict || e.steps != 0)
                .collect();
            events.sort_by_key(|event| event.timestamp);
            let f = funnel(3, order);
            let mut furthest = 0;
            for start in (0..30).step_by(usize::try_from(period).unwrap_or(1)) {
                let entering = (start * DAY, (start + period) * DAY);
                let level = f.progress_entering(&events, entering).level;
                if order == Order::Ordered {
                    let brute = brute_ordered_entering(&f, &events, |at| entering.0 <= at && at < entering.1);
                    prop_assert_eq!(level, brute);
                }
                furthest = furthest.max(level);
            }
            prop_assert_eq!(furthest, f.level(&events));
        }

        /// Every order type, events matching several steps (and exclusions), ties and
        /// exclusions: the engine equals the naive transcription of PostHog's algorithm.
        #[test]
        fn the_scan_matches_the_udf_transcription(
            order in prop::sample::select(vec![Order::Ordered, Order::Strict, Order::Unordered]),
            n in 2usize..5,
            window in 1i64..8,
            ranges in proptest::collection::vec((0usize..4, 0usize..4), 0..3),
            raw in proptest::collection::vec((1i64..20, 0u64..16, 0u64..8, 0u8..6), 0..25),
        ) {
            let exclusions: Vec<Exclusion> = ranges
                .iter()
                .map(|(a, b)| match order {
                    Order::Unordered => Exclusion { from: 0, to: n - 1 },
                    _ => {
                        let from = a % (n - 1);
                        Exclusion { from, to: from + 1 + b % (n - 1 - from) }
                    }
                })
                .collect();
            let f = Funnel { steps: n, order, window: window * DAY, exclusions, attributed: None };
            let mut events: Vec<Event> = raw
                .iter()
                .map(|(half_days, steps, excluded, rare)| Event {
                    timestamp: half_days * DAY / 2,
                    steps: steps & ((1 << n) - 1),
                    exclusions: if *rare == 0 { excluded & ((1 << f.exclusions.len()) - 1) } else { 0 },
                    lacks: false,
                })
                .filter(|e| order == Order::Strict || e.steps != 0 || e.exclusions != 0)
                .collect();
            events.sort_by_key(|event| event.timestamp);
            prop_assert_eq!(f.level(&events), udf_level(&f, &events));
        }

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
                    lacks: false,
                })
                .collect();
            events.sort_by_key(|event| event.timestamp);
            let f = funnel(4, Order::Ordered);
            prop_assert_eq!(f.level(&events), brute_ordered(&f, &events));
        }
    }
}
