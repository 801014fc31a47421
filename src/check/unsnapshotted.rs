//! Counting tables that snapshots do not cover (MyISAM, Aria, MEMORY...),
//! between readings of each server's position.

use super::batches::{batches, keys, wanted, wanting};
use super::context::{staged, Ctx, Result, RunState};
use super::plan::Table;
use super::readings::Readings;
use super::servers::{each_replica, lagging, Done, Dropouts, Lane};
use crate::consistency::GtidPos;
use crate::model::ContentRead;
use crate::plugin::Failure;

/// Tables that snapshots do not cover (MyISAM, Aria, MEMORY...), on the
/// first lane: each batch is counted on the primary between two equal
/// readings of its binlog position P, then on each replica that needs it,
/// after waiting for P, between two readings of its applied position. Only
/// when all four agree were both counts taken at one position.
pub(super) fn read_unsnapshotted(
    ctx: &Ctx,
    lane: &mut Lane,
    tables: &[Table],
    run: &RunState,
    readings: &mut Readings,
    dropouts: &Dropouts,
) -> Result<()> {
    let positioned = run.placement.positioned();
    let tables: Vec<&Table> = tables.iter().collect();
    for batch in batches(&tables) {
        let what = format!("counting {} non-transactional tables", batch.len());
        let all = keys(&batch);
        let p = staged(ctx, &mut lane.primary, &what, |s| {
            s.count_between_positions(&all, None, ctx.wait_budget())
        })?
        .ok_or_else(|| Failure::unknown(format!("{}: no count", ctx.cfg.primary)))?;
        let wait = p.at.as_ref().filter(|_| positioned);
        let counted = each_replica(&mut lane.replicas, &wanting(&batch), dropouts, |j, s| {
            let mine = wanted(&batch, j);
            let r = staged(ctx, s, &what, |s| {
                s.count_between_positions(&mine, wait, ctx.wait_budget())
            })?;
            r.ok_or_else(|| lagging(ctx, s, wait.unwrap_or(&GtidPos::default())))
        });
        for Done { replica, value: r } in counted {
            let at =
                p.at.as_ref()
                    .filter(|a| positioned && r.at.as_ref().is_some_and(|b| b.at_primary_point(a)));
            readings.add(replica, &p.counts, r.counts, at);
            for table in batch.iter().filter(|t| t.content.is_some()) {
                readings.content_unread(&table.key, &[replica], ContentRead::NotCovered);
            }
        }
    }
    Ok(())
}
