"""The policy window, part 2 (惠企政策兑现专窗): consultation, one-window intake, referral to departments through
the casework engine, decisions reviewed by the window, payment, the enterprise's confirmation, 免申即享 batches."""
