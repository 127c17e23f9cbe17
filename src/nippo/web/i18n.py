"""The pages' words in Japanese (the default, as the seed is) and English.

One table: a key, its Japanese, its English. Templates call `t("key")`; the
language is the session's choice (`/language`), Japanese until one is made.
Messages from the service layer (a refused duration, a date out of range) are
shown as the service wrote them, in English, as the API returns them.
"""

from __future__ import annotations

from typing import Literal

Lang = Literal["ja", "en"]
LANGUAGES: tuple[Lang, ...] = ("ja", "en")
DEFAULT_LANG: Lang = "ja"

MESSAGES: dict[str, tuple[str, str]] = {
    "app": ("nippo 日報", "nippo daily reports"),
    "skip": ("本文へ移動", "Skip to content"),
    "nav": ("メニュー", "Menu"),
    "home": ("ホーム", "Home"),
    "write": ("日報を書く", "Write a report"),
    "import": ("Markdown を取り込む", "Import Markdown"),
    "learners": ("担当の受講生", "Your learners"),
    "operator": ("運用", "Operations"),
    "signin": ("サインイン", "Sign in"),
    "signout": ("サインアウト", "Sign out"),
    "signed_in_as": ("サインイン中:", "Signed in as"),
    "token": ("トークン", "Token"),
    "token_help": (
        "dbtier users create が表示したトークンを貼り付けてください。",
        "Paste the token `dbtier users create` printed.",
    ),
    "bad_token": (
        "このトークンに一致する利用者はいません。新しいトークンを発行してもらってください。",
        "The token matches no user; ask for a new one.",
    ),
    "language": ("表示言語", "Language"),
    "switch": ("切り替え", "Switch"),
    "study_time": ("学習時間", "Study time"),
    "today": ("今日", "Today"),
    "week": ("今週", "This week"),
    "total": ("累計", "Total"),
    "on_date": ("日付", "Date"),
    "chart_title": ("週ごとの学習時間 (直近 8 週)", "Study time by week (last 8 weeks)"),
    "week_of": ("週の始まり", "Week of"),
    "reports": ("日報", "Reports"),
    "reports_by_month": ("月ごとの日報", "Reports by month"),
    "older": ("その前の 1 年の日報", "The year before"),
    "no_reports": ("まだ日報がありません。", "No reports yet."),
    "title": ("タイトル", "Title"),
    "date": ("日付", "Date"),
    "report_language": ("日報の言語", "Report language"),
    "lang_ja": ("日本語", "Japanese"),
    "lang_en": ("英語", "English"),
    "tasks": ("取り組んだ課題", "Tasks worked on"),
    "task": ("課題", "Task"),
    "duration": ("時間", "Duration"),
    "duration_help": ("例: 1h30m, 45m, 2h", "e.g. 1h30m, 45m, 2h"),
    "notes": (
        "メモ (1 行に 1 項目、字下げ 2 文字で入れ子)",
        "Notes (one per line, indent 2 to nest)",
    ),
    "tasks_extra": ("課題の補足 (Markdown)", "More about the tasks (Markdown)"),
    "sections": ("セクション", "Sections"),
    "section": ("セクション", "Section"),
    "kind": ("種類", "Kind"),
    "kind_learned": ("わかったこと", "What I understood"),
    "kind_felt": ("感じたこと", "What I felt"),
    "kind_next": ("次やること", "Next"),
    "kind_other": ("その他", "Other"),
    "heading": ("見出し", "Heading"),
    "body": ("本文 (Markdown)", "Body (Markdown)"),
    "save": ("保存する", "Save"),
    "edit": ("編集する", "Edit"),
    "edit_report": ("日報を編集", "Edit the report"),
    "new_report": ("日報を書く", "Write a report"),
    "blank_rows": (
        "空の行は無視されます。行が足りなければ保存後に編集してください。",
        "Blank rows are ignored; save and edit to add more.",
    ),
    "form_errors": ("入力を確認してください。", "Please check the form."),
    "download": ("Markdown をダウンロード", "Download Markdown"),
    "feedback": ("フィードバック", "Feedback"),
    "no_feedback": ("まだフィードバックはありません。", "No feedback yet."),
    "leave_feedback": ("フィードバックを書く", "Leave feedback"),
    "send": ("送る", "Send"),
    "import_title": ("Markdown の日報を取り込む", "Import a Markdown report"),
    "paste": ("Markdown を貼り付け", "Paste Markdown"),
    "upload": ("またはファイルを選ぶ (.md)", "Or choose a file (.md)"),
    "date_default": (
        "空欄なら、あなたのタイムゾーンでの今日",
        "Empty: today in your time zone",
    ),
    "keep_totals": (
        "文書の今週・累計を繰越として記録する",
        "Keep the document's week and total as an opening balance",
    ),
    "preview": ("プレビュー", "Preview"),
    "preview_title": ("取り込む前の確認", "Check before importing"),
    "declared": ("文書に書かれた学習時間", "Study time the document declares"),
    "task_sum": ("課題の合計", "Tasks add up to"),
    "back": ("戻って直す", "Go back and change it"),
    "import_save": ("この内容で取り込む", "Import it"),
    "warnings": (
        "このままでは保存されません。見出しを直すか、下の欄にチェックしてください。",
        "This will not be saved as it is: rename the headings, or tick the box below.",
    ),
    "line_n": ("{n} 行目", "line {n}"),
    "accept_warnings": (
        "課題や学習時間が見つからないまま保存する",
        "Save it without the tasks or study time nippo could not find",
    ),
    "learner_page": ("受講生のページへ", "The learner's page"),
    "no_learners": ("担当の受講生はいません。", "You mentor no learner yet."),
    "open": ("開く", "Open"),
    "readiness": ("準備状態", "Readiness"),
    "ready": ("準備完了", "Ready"),
    "not_ready": ("準備できていません", "Not ready"),
    "revision": ("現在のリビジョン", "Current revision"),
    "head": ("コードのヘッド", "Code's head"),
    "database": ("データベース", "Database"),
    "next_firings": ("次のマイグレーション予定", "Next scheduled migrations"),
    "schedule": ("スケジュール", "Schedule"),
    "history": ("マイグレーション履歴", "Migration history"),
    "no_history": ("実行記録はまだありません。", "No runs recorded yet."),
    "started": ("開始", "Started"),
    "status": ("状態", "Status"),
    "from_to": ("リビジョン", "Revisions"),
    "error": ("エラー", "Error"),
    "retry": ("しばらくしてからもう一度お試しください。", "Please try again shortly."),
    "error_400": ("リクエストを読めません", "Bad request"),
    "error_403": ("この操作はできません", "Not allowed"),
    "error_404": ("見つかりません", "Not found"),
    "error_405": ("この方法では開けません", "Method not allowed"),
    "error_409": ("すでに存在します", "Already exists"),
    "error_413": ("大きすぎます", "Too large"),
    "error_415": ("この形式は受け付けません", "Unsupported media type"),
    "error_422": ("入力に問題があります", "Invalid input"),
    "error_429": ("試行が多すぎます", "Too many attempts"),
    "error_503": ("ただいま利用できません", "Temporarily unavailable"),
    "error_other": ("エラーが発生しました", "Something went wrong"),
    "back_home": ("ホームへ戻る", "Back to the home page"),
}


def translate(key: str, lang: Lang) -> str:
    """The text for `key` in `lang` (the key itself when the table lacks it)."""
    pair = MESSAGES.get(key)
    if pair is None:
        return key
    return pair[LANGUAGES.index(lang)]


def as_lang(value: object) -> Lang:
    """A language from the session, Japanese when unset or unknown."""
    return "en" if value == "en" else DEFAULT_LANG


__all__ = ["DEFAULT_LANG", "LANGUAGES", "MESSAGES", "Lang", "as_lang", "translate"]
