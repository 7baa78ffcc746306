"""The sign-in sheet's words: a paper form that is also the import template,
so it is Chinese whatever the page language (like the ledger workbook,
DESIGN.md §6). ``study.excel`` writes and reads it."""

from __future__ import annotations

SIGNIN_SHEET = "签到表"
H_NAME, H_ORG, H_PRESENT, H_REASON = "姓名", "所属组织", "签到(是/否)", "缺席原因"
H_NUMBER, H_SIGNATURE = "序号", "签名"
TITLE = "{org}学习研讨签到表"
FILE_NAME = "{org}签到表"
WHERE = "形式：{kind}\u3000地点：{place}"
WHEN = "时间：{date}（{hours} 小时）"
TOPIC = "主题：{topic}"
EXPECTED = "应到 {count} 人，实到 ______ 人"
YES_TEXT, NO_TEXT = "是", "否"
CHOICE_TITLE = "签到"
# 签到 as people fill it in.
YES = {"是", "到", "出席", "已签到", "签到", "√", "✓", "y", "yes", "1", "true"}
NO = {"否", "缺", "缺席", "未到", "未签到", "×", "✗", "x", "n", "no", "0", "false"}
# Joins the workbook's words (org names) inside messages.
LIST_SEPARATOR = "、"
