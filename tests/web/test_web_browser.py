"""The pages in a real browser: issue 13's "Must show" list, with a screenshot of each page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from web_helpers import SEED_ORIGINAL, Site, shoot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_sign_in_shows_the_learner_home(page: Page, site: Site) -> None:
    sign_in(page, site, "alice", shot=True)
    expect(page).to_have_url(site.url(f"/learners/{site.ids['alice']}"))
    expect(page.locator("#study-today")).to_have_text("0m")
    expect(page.get_by_role("heading", name="週ごとの学習時間 (直近 8 週)")).to_be_visible()


def test_a_report_with_two_tasks_shows_in_todays_study_time(page: Page, site: Site) -> None:
    sign_in(page, site, "alice")
    page.get_by_role("link", name="日報を書く").first.click()
    page.get_by_label("タイトル", exact=True).fill("今日学んだこと")
    page.get_by_label("課題 1: タイトル").fill("ECS on Fargate のハンズオン")
    page.get_by_label("課題 1: 時間").fill("1h30m")
    page.get_by_label("課題 1: メモ (1 行に 1 項目、字下げ 2 文字で入れ子)").fill(
        "- タスク定義\n  - ポートマッピング"
    )
    page.get_by_label("課題 2: タイトル").fill("RDS パラメータ設計")
    page.get_by_label("課題 2: 時間").fill("4hh")  # refused beside the field
    page.get_by_label("セクション 1: メモ (1 行に 1 項目、字下げ 2 文字で入れ子)").fill(
        "- max_connections は接続予算から決める"
    )
    page.get_by_role("button", name="保存する").click()
    expect(page.locator("#task-1-duration-error")).to_contain_text("'4hh' is not a duration")
    expect(page.get_by_label("課題 2: 時間")).to_have_attribute("aria-invalid", "true")
    shoot(page, site, "report-form-error")
    page.get_by_label("課題 2: 時間").fill("45m")
    page.get_by_role("button", name="保存する").click()
    expect(page).to_have_url(re.compile(r"/reports/\d+$"))
    expect(page.locator("#study-today")).to_have_text("2h 15m")
    page.get_by_role("link", name="ホーム").click()
    expect(page.locator("#study-today")).to_have_text("2h 15m")
    expect(page.locator("#study-week")).to_have_text("2h 15m")
    shoot(page, site, "home-learner")


def test_the_seed_imports_with_a_preview_and_shows_6h_10m(page: Page, site: Site) -> None:
    sign_in(page, site, "erin")
    page.get_by_role("link", name="Markdown を取り込む").first.click()
    page.get_by_label("またはファイルを選ぶ (.md)").set_input_files(str(SEED_ORIGINAL))
    page.get_by_label("日付").fill("2025-04-25")
    page.get_by_label("文書の今週・累計を繰越として記録する").check()
    shoot(page, site, "import")
    page.get_by_role("button", name="プレビュー").click()
    expect(page.locator("#preview-tasks")).to_have_text("6h 10m")
    shoot(page, site, "import-preview")
    page.get_by_role("button", name="この内容で取り込む").click()
    expect(page).to_have_url(re.compile(r"/reports/\d+$"))
    expect(page.locator("#study-today")).to_have_text("6h 10m")
    expect(page.locator("#study-week")).to_have_text("19h 40m")
    expect(page.locator("#study-total")).to_have_text("31h 25m")
    shoot(page, site, "report")
    with page.expect_download() as download:
        page.get_by_role("link", name="Markdown をダウンロード").click()
    assert download.value.suggested_filename == "nippo-2025-04-25.md"


def test_an_import_with_unrecognised_headings_shows_its_warnings(page: Page, site: Site) -> None:
    sign_in(page, site, "dave")
    page.goto("/reports/import")
    page.get_by_label("Markdown を貼り付け").fill(
        "# 今日学んだこと\n\n## 今日の感想\n- たのしかった\n"
    )
    page.get_by_role("button", name="プレビュー").click()
    expect(page.locator("#warnings")).to_contain_text("今日の感想")
    shoot(page, site, "import-warnings")
    page.get_by_role("button", name="この内容で取り込む").click()
    expect(page.locator("#markdown-error")).to_contain_text("not saved")
    page.get_by_role("button", name="プレビュー").click()
    page.get_by_label("課題や学習時間が見つからないまま保存する").check()
    page.get_by_role("button", name="この内容で取り込む").click()
    expect(page).to_have_url(re.compile(r"/reports/\d+$"))


def write_report(page: Page, title: str, task: str, duration: str, day: str = "") -> str:
    """Write a one-task report through the form; the report page's URL."""
    page.goto("/reports/new")
    if day:
        page.get_by_label("日付").fill(day)
    page.get_by_label("タイトル", exact=True).fill(title)
    page.get_by_label("課題 1: タイトル").fill(task)
    page.get_by_label("課題 1: 時間").fill(duration)
    page.get_by_role("button", name="保存する").click()
    expect(page).to_have_url(re.compile(r"/reports/\d+$"))
    return page.url


def _mentor_leaves_feedback(page: Page, site: Site, report_url: str) -> None:
    sign_in(page, site, "bob")
    expect(page).to_have_url(site.url("/learners"))
    shoot(page, site, "mentor-learners")
    page.get_by_role("link", name="alice").click()
    shoot(page, site, "mentor-learner")
    page.goto(report_url)
    page.get_by_label("フィードバックを書く").fill(
        "タスクの時間配分がよくわかります。次は RDS の監視も。"
    )
    page.get_by_role("button", name="送る").click()
    expect(page.locator(".feedback")).to_contain_text("次は RDS の監視も。")
    shoot(page, site, "report-feedback")


def test_a_mentor_leaves_feedback_and_the_learner_sees_it(page: Page, site: Site) -> None:
    sign_in(page, site, "alice")
    report_url = write_report(page, "前日の日報", "LT 準備", "1h", day="2025-04-24")
    page.context.clear_cookies()
    _mentor_leaves_feedback(page, site, report_url)
    page.context.clear_cookies()
    sign_in(page, site, "alice")
    page.goto(report_url)
    expect(page.locator(".feedback")).to_contain_text("bob")
    expect(page.locator(".feedback")).to_contain_text("次は RDS の監視も。")


def test_a_learner_cannot_open_another_learners_report(page: Page, site: Site) -> None:
    sign_in(page, site, "erin")
    erins = write_report(page, "erin の日報", "読書", "30m")
    page.context.clear_cookies()
    sign_in(page, site, "dave")
    answer = page.goto(erins)
    assert answer is not None and answer.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("404 · 見つかりません")
    shoot(page, site, "not-found")


def test_a_form_without_its_csrf_token_is_refused(page: Page, site: Site) -> None:
    sign_in(page, site, "dave")
    page.goto("/reports/new")
    page.get_by_label("タイトル", exact=True).fill("CSRF")
    page.locator('input[name="csrftoken"]').first.evaluate("e => e.remove()")
    page.locator('main input[name="csrftoken"]').evaluate_all("es => es.forEach(e => e.remove())")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="保存する").click()
    assert posted.value.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("403 · この操作はできません")
    expect(page.get_by_role("alert")).to_contain_text("CSRF")
    shoot(page, site, "csrf-refused")


def test_the_operator_page_and_english(page: Page, site: Site) -> None:
    sign_in(page, site, "olga")
    page.get_by_role("link", name="運用").click()
    expect(page.locator("#readiness")).to_have_text("準備完了")
    expect(page.locator("#firings li")).to_have_count(5)
    shoot(page, site, "operator")
    page.get_by_label("表示言語").select_option("en")
    page.get_by_role("button", name="切り替え").click()
    expect(page.locator("#readiness")).to_have_text("Ready")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    shoot(page, site, "operator-en")


def test_sign_out(page: Page, site: Site) -> None:
    sign_in(page, site, "dave")
    page.get_by_role("button", name="サインアウト").click()
    expect(page).to_have_url(site.url("/signin"))
    page.goto("/home")
    expect(page).to_have_url(site.url("/signin"))


_UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea, button')]
  .filter(e => e.type !== 'hidden' && !e.hidden)
  .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
               && !(e.tagName === 'BUTTON' && e.textContent.trim()))
  .map(e => e.outerHTML)"""


def tab_to(page: Page, selector: str, limit: int = 30) -> None:
    """Press Tab until the element is focused (fails after `limit` presses)."""
    target = page.locator(selector)
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("e => e === document.activeElement"):
            return
    raise AssertionError(f"{selector} was not reached by Tab")


def test_keyboard_only_and_a_label_on_every_control(page: Page, site: Site) -> None:
    page.goto("/signin")
    tab_to(page, "#token")
    page.keyboard.type(site.tokens["dave"])
    page.keyboard.press("Enter")
    expect(page).to_have_url(site.url(f"/learners/{site.ids['dave']}"))
    tab_to(page, 'main a[href="/reports/new"]')
    page.keyboard.press("Enter")
    expect(page).to_have_url(site.url("/reports/new"))
    for path in ("/reports/new", "/reports/import", f"/learners/{site.ids['dave']}", "/signin"):
        page.goto(path)
        assert page.evaluate(_UNLABELLED) == [], path
