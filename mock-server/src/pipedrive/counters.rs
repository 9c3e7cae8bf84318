//! A person's aggregates ([`Counters`], held by the person), kept incrementally: every related
//! record adds its contribution when it starts counting for the person and subtracts the very
//! same contribution when it stops (edit, delete, merge), so reads never scan deals,
//! activities or mail.

use super::model::{Activity, Deal, DealStatus, Id, MailMessage};
pub use super::model::{Counters, StatusCounts};
use super::table::SortedVec;

/// Whether a contribution is added or taken back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sign {
    /// The record starts counting.
    Add,
    /// The record stops counting.
    Remove,
}

impl StatusCounts {
    /// Won plus lost.
    pub fn closed(&self) -> u64 {
        self.won.saturating_add(self.lost)
    }

    fn apply(&mut self, status: DealStatus, sign: Sign) {
        let slot = match status {
            DealStatus::Open => &mut self.open,
            DealStatus::Won => &mut self.won,
            DealStatus::Lost => &mut self.lost,
        };
        bump(slot, sign);
    }
}

impl Counters {
    /// Adds or removes a live deal in which the person is `primary` contact and/or a
    /// `participant`.
    pub fn apply_deal(&mut self, deal: &Deal, primary: bool, participant: bool, sign: Sign) {
        if primary {
            self.deals.apply(deal.status, sign);
        }
        if participant {
            self.participant_deals.apply(deal.status, sign);
        }
        if primary || participant {
            self.related_deals.apply(deal.status, sign);
        }
    }

    /// Adds or removes a live activity linked to the person.
    pub fn apply_activity(&mut self, activity: &Activity, sign: Sign) {
        if activity.done {
            let key = (activity.due_date.clone(), activity.id);
            set_apply(&mut self.done_activities, key, sign);
        } else {
            let key = (
                activity.due_date.clone(),
                activity.due_time.clone(),
                activity.id,
            );
            set_apply(&mut self.undone_activities, key, sign);
        }
    }

    /// Adds or removes a mail message linked to the person.
    pub fn apply_mail(&mut self, mail: &MailMessage, sign: Sign) {
        let set = if mail.sent {
            &mut self.outgoing_mail
        } else {
            &mut self.incoming_mail
        };
        set_apply(set, (mail.message_time, mail.id), sign);
    }

    /// Adds or removes a note.
    pub fn apply_note(&mut self, sign: Sign) {
        bump(&mut self.notes, sign);
    }

    /// Adds or removes a file.
    pub fn apply_file(&mut self, sign: Sign) {
        bump(&mut self.files, sign);
    }

    /// Adds or removes a follower.
    pub fn apply_follower(&mut self, sign: Sign) {
        bump(&mut self.followers, sign);
    }

    /// Done plus undone activities.
    pub fn activities(&self) -> u64 {
        self.done().saturating_add(self.undone())
    }

    /// Done activities.
    pub fn done(&self) -> u64 {
        len(self.done_activities.len())
    }

    /// Undone activities.
    pub fn undone(&self) -> u64 {
        len(self.undone_activities.len())
    }

    /// Mail messages, sent and received.
    pub fn email_messages(&self) -> u64 {
        len(self.incoming_mail.len()).saturating_add(len(self.outgoing_mail.len()))
    }

    /// The next activity: the undone one due first (overdue ones included).
    pub fn next_activity(&self) -> Option<&(Box<str>, Box<str>, Id)> {
        self.undone_activities.first()
    }

    /// The last activity: the done one due last.
    pub fn last_activity(&self) -> Option<&(Box<str>, Id)> {
        self.done_activities.last()
    }

    /// When the latest received mail arrived.
    pub fn last_incoming_mail_time(&self) -> Option<i64> {
        self.incoming_mail.last().map(|(time, _)| *time)
    }

    /// When the latest sent mail left.
    pub fn last_outgoing_mail_time(&self) -> Option<i64> {
        self.outgoing_mail.last().map(|(time, _)| *time)
    }
}

fn bump(slot: &mut u64, sign: Sign) {
    *slot = match sign {
        Sign::Add => slot.saturating_add(1),
        Sign::Remove => slot.saturating_sub(1),
    };
}

fn set_apply<T: Ord>(set: &mut SortedVec<T>, key: T, sign: Sign) {
    match sign {
        Sign::Add => set.insert(key),
        Sign::Remove => set.remove(&key),
    };
}

fn len(count: usize) -> u64 {
    u64::try_from(count).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod recount;

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn deal(status: DealStatus) -> Deal {
        Deal {
            id: 1,
            title: "d".into(),
            value: 0.0,
            currency: "EUR".into(),
            status,
            owner_id: 1,
            person_id: Some(1),
            org_id: None,
            participants: BTreeMap::new(),
            lost_reason: None,
            visible_to: 3,
            add_time: 0,
            update_time: 0,
            won_time: None,
            lost_time: None,
            delete_time: None,
        }
    }

    #[test]
    fn deal_contributions_cancel_out() {
        let mut counters = Counters::default();
        let open = deal(DealStatus::Open);
        counters.apply_deal(&open, true, true, Sign::Add);
        assert_eq!(counters.deals.open, 1);
        assert_eq!(counters.related_deals.open, 1);
        assert_eq!(counters.participant_deals.open, 1);
        counters.apply_deal(&open, true, true, Sign::Remove);
        let won = deal(DealStatus::Won);
        counters.apply_deal(&won, true, false, Sign::Add);
        assert_eq!(
            counters.deals,
            StatusCounts {
                open: 0,
                won: 1,
                lost: 0
            }
        );
        assert_eq!(counters.deals.closed(), 1);
        assert_eq!(counters.participant_deals, StatusCounts::default());
    }

    #[test]
    fn next_and_last_activities_follow_due_dates() {
        let mut counters = Counters::default();
        let make = |id, date: &str, time: &str, done| Activity {
            id,
            subject: "s".into(),
            kind: "call".into(),
            owner_id: 1,
            person_id: Some(1),
            deal_id: None,
            org_id: None,
            participants: Vec::new(),
            due_date: date.into(),
            due_time: time.into(),
            duration: "".into(),
            done,
            marked_as_done_time: None,
            note: None,
            add_time: 0,
            update_time: 0,
            delete_time: None,
        };
        let later = make(1, "2024-05-02", "09:00", false);
        let sooner = make(2, "2024-05-01", "15:00", false);
        let done = make(3, "2024-04-01", "", true);
        for activity in [&later, &sooner, &done] {
            counters.apply_activity(activity, Sign::Add);
        }
        assert_eq!(counters.next_activity().map(|next| next.2), Some(2));
        assert_eq!(counters.last_activity().map(|last| last.1), Some(3));
        assert_eq!(
            (counters.activities(), counters.done(), counters.undone()),
            (3, 1, 2)
        );
        counters.apply_activity(&sooner, Sign::Remove);
        assert_eq!(counters.next_activity().map(|next| next.2), Some(1));
    }
}
