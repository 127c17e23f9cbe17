-- The reference service's (nippo's) query mix, for sysbench 1.0 on MySQL/MariaDB and PostgreSQL.
--
-- One event is one request of the service: a learner opens a report page (the report, its
-- tasks, mentor feedback and the study-time totals for the week and all time), lists recent
-- reports, saves a report (rewrite the text, replace its tasks, one transaction), a mentor
-- leaves feedback, or a mentor opens the cohort's reports for a day. The tables are made by
-- bench/params/nippo_data.py: report ids are (learner - 1) * days + day + 1, so no lookup is
-- needed to address a report. SQL is portable between the two engines on purpose.
--
-- Study time as the service computes it (migration 0003): the week sums at most seven
-- reports' tasks, the all-time total is the running total (`reports.minutes_through`) of the
-- learner's latest report on or before the day, one index seek. Saving a report keeps that
-- column as the service does, in the same transaction: lock the learner's row, read what the
-- report's tasks added before, shift the learner's later reports by the difference, set the
-- report's own total from the previous report's.

sysbench.cmdline.options = {
   learners = {"Number of learners loaded", 10000},
   days = {"Number of days of reports per learner", 90},
   cohorts = {"Number of cohorts", 20},
}

local BASE_EPOCH = 1767225600 -- 2026-01-01T00:00:00Z, day 0 of the data

local function day_string(day)
   return os.date("!%Y-%m-%d", BASE_EPOCH + day * 86400)
end

function thread_init()
   drv = sysbench.sql.driver()
   con = drv:connect()
end

function thread_done()
   con:disconnect()
end

sysbench.hooks.before_restart_event = function(_)
   con:query("ROLLBACK")
end

local function pick()
   local learner = sysbench.rand.uniform(1, sysbench.opt.learners)
   local day = sysbench.rand.uniform(0, sysbench.opt.days - 1)
   return learner, day, (learner - 1) * sysbench.opt.days + day + 1
end

local function text(n)
   return sysbench.rand.string(string.rep("@", n))
end

local function view_report()
   local learner, day, report = pick()
   local week_start = math.max(day - 6, 0)
   con:query(string.format(
      "SELECT id, title, learned, felt, next_steps FROM reports " ..
      "WHERE learner_id = %d AND report_date = '%s'", learner, day_string(day)))
   con:query(string.format(
      "SELECT position, title, minutes FROM tasks WHERE report_id = %d ORDER BY position", report))
   con:query(string.format(
      "SELECT mentor_id, body, created_at FROM feedback WHERE report_id = %d " ..
      "ORDER BY created_at", report))
   con:query(string.format(
      "SELECT COALESCE(SUM(t.minutes), 0) FROM reports r JOIN tasks t ON t.report_id = r.id " ..
      "WHERE r.learner_id = %d AND r.report_date BETWEEN '%s' AND '%s'",
      learner, day_string(week_start), day_string(day)))
   con:query(string.format(
      "SELECT minutes_through FROM reports WHERE learner_id = %d AND report_date <= '%s' " ..
      "ORDER BY report_date DESC LIMIT 1", learner, day_string(day)))
end

local function list_reports()
   local learner = sysbench.rand.uniform(1, sysbench.opt.learners)
   con:query(string.format(
      "SELECT id, report_date, title FROM reports WHERE learner_id = %d " ..
      "ORDER BY report_date DESC LIMIT 20", learner))
end

local function first_number(result)
   local row = result:fetch_row()
   if row == nil or row[1] == nil then
      return 0
   end
   return tonumber(row[1])
end

local function save_report()
   local learner, day, report = pick()
   local minutes = {
      sysbench.rand.uniform(10, 180), sysbench.rand.uniform(10, 180),
      sysbench.rand.uniform(10, 180),
   }
   local added = minutes[1] + minutes[2] + minutes[3]
   con:query("BEGIN")
   con:query(string.format("SELECT id FROM learners WHERE id = %d FOR UPDATE", learner))
   local removed = first_number(con:query(string.format(
      "SELECT COALESCE(SUM(minutes), 0) FROM tasks WHERE report_id = %d", report)))
   con:query(string.format(
      "UPDATE reports SET learned = '%s', felt = '%s', next_steps = '%s', " ..
      "updated_at = CURRENT_TIMESTAMP WHERE id = %d", text(120), text(60), text(60), report))
   con:query(string.format("DELETE FROM tasks WHERE report_id = %d", report))
   con:query(string.format(
      "INSERT INTO tasks (report_id, position, title, minutes) VALUES " ..
      "(%d, 1, '%s', %d), (%d, 2, '%s', %d), (%d, 3, '%s', %d)",
      report, text(30), minutes[1], report, text(30), minutes[2], report, text(30), minutes[3]))
   if added ~= removed then
      con:query(string.format(
         "UPDATE reports SET minutes_through = minutes_through + %d " ..
         "WHERE learner_id = %d AND report_date > '%s'", added - removed, learner,
         day_string(day)))
   end
   local previous = first_number(con:query(string.format(
      "SELECT minutes_through FROM reports WHERE learner_id = %d AND report_date < '%s' " ..
      "ORDER BY report_date DESC LIMIT 1", learner, day_string(day))))
   con:query(string.format(
      "UPDATE reports SET minutes_through = %d WHERE id = %d", previous + added, report))
   con:query("COMMIT")
end

local function leave_feedback()
   local _, _, report = pick()
   con:query(string.format(
      "INSERT INTO feedback (report_id, mentor_id, body, created_at) " ..
      "VALUES (%d, %d, '%s', CURRENT_TIMESTAMP)", report, sysbench.rand.uniform(1, 50), text(100)))
end

local function cohort_day()
   local day = sysbench.rand.uniform(0, sysbench.opt.days - 1)
   local cohort = sysbench.rand.uniform(0, sysbench.opt.cohorts - 1)
   con:query(string.format(
      "SELECT r.id, l.name, r.title, SUM(t.minutes) FROM learners l " ..
      "JOIN reports r ON r.learner_id = l.id AND r.report_date = '%s' " ..
      "JOIN tasks t ON t.report_id = r.id WHERE l.cohort = 'cohort-%d' " ..
      "GROUP BY r.id, l.name, r.title ORDER BY r.id LIMIT 50", day_string(day), cohort))
end

-- weights out of 100: reading dominates, as for a report service
local MIX = {
   {40, view_report},
   {20, list_reports},
   {25, save_report},
   {10, leave_feedback},
   {5, cohort_day},
}

function event()
   local roll = sysbench.rand.uniform(1, 100)
   for _, entry in ipairs(MIX) do
      roll = roll - entry[1]
      if roll <= 0 then
         return entry[2]()
      end
   end
end
