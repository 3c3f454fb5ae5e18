"""A held-out set for the intake fields added with the reshaped Profile: 13 English and 13 Hebrew descriptions.

Written on 2026-12-05 by the helper who taught the intake these fields, BEFORE writing any rule for them, and
never tuned on: the rules were tuned on ``cases.py`` only; this set was measured once at the end
(``python -m tests.service.intake.measure``). Only these fields are labelled here (``measure.NEW_FIELDS`` is the
scope it is scored on): knowledge_size, live_data, latency_sensitive, own_infrastructure, has_eval_set,
input_tokens, output_tokens, openai_can_tune. Other facts in the texts are not labelled and not scored.

Conventions, fixed before any rule was written:
- ``knowledge_size``: "small" when the reference material is said to fit in a prompt or to be a few pages or a
  short document; "large" for a whole wiki, thousands of documents, hundreds of pages or "too much for a prompt".
- ``live_data``: True when an answer needs a value looked up in the team's systems at the moment of asking (an
  order's status, a balance, a booking, a ticket's state); False when the text says nothing is looked up live.
- ``latency_sensitive``: True for a stated time budget of a few seconds or less, "instant", "low latency";
  False for batch or overnight jobs, or "latency doesn't matter".
- ``own_infrastructure``: True when data or model must stay on the team's servers, network or cloud account
  ("on-prem", "can't leave our servers", "air-gapped", "no external API"); False when a hosted API is said to be fine.
- ``has_eval_set``: True for a set of test or evaluation cases with expected answers; False for "no test set".
- ``input_tokens`` / ``output_tokens``: tokens as stated; words x 4/3 rounded; a sentence 25 tokens, "a few" or
  "two or three" sentences 75, "a couple of" sentences 50, a paragraph 130, a page 650.
- ``openai_can_tune``: "yes" when the team's OpenAI organisation ran a fine-tuning job recently (within 60 days) or
  says it can still start one; "no" when it says it cannot or never tuned on OpenAI.
"""

from __future__ import annotations

from tests.service.intake.cases import Case

HELDOUT_NEW_EN: list[Case] = [
    (
        "Support bot for our booking app. It has to tell guests the state of their reservation, so it calls our "
        "booking API for every question. Replies are a couple of sentences and must show up in under two seconds.",
        {"live_data": True, "output_tokens": 50, "latency_sensitive": True},
    ),
    (
        "We're a hospital group; patient notes cannot leave our data center, full stop. The model would summarise "
        "discharge letters, each roughly 1,500 words, overnight in a batch.",
        {"own_infrastructure": True, "input_tokens": 2000, "latency_sensitive": False},
    ),
    (
        "The whole reference is our return policy, which fits on two pages. We also put together 40 test questions "
        "with the answers legal signed off on.",
        {"knowledge_size": "small", "has_eval_set": True},
    ),
    (
        "Our engineering wiki has something like 12,000 pages, far too much to paste into a prompt. Answers should "
        "be a paragraph with links.",
        {"knowledge_size": "large", "output_tokens": 130},
    ),
    (
        "We fine-tuned gpt-4.1-mini on OpenAI three weeks ago for another team, so our org can still run jobs. "
        "This time the input is a customer email of about 300 tokens.",
        {"openai_can_tune": "yes", "input_tokens": 300},
    ),
    (
        "No evaluation set exists yet; we judge the outputs by eye. A hosted API is fine for us, nothing sensitive in the data.",
        {"has_eval_set": False, "own_infrastructure": False},
    ),
    (
        "Agents ask the assistant for a customer's current account balance and last payments, pulled live from the "
        "core banking system. Latency matters a lot: it sits in the agent's call screen.",
        {"live_data": True, "latency_sensitive": True},
    ),
    (
        "Our OpenAI account has never run a fine-tuning job, and I read they no longer let new orgs start one. "
        "Outputs are one short sentence.",
        {"openai_can_tune": "no", "output_tokens": 25},
    ),
    (
        "Everything must run air-gapped inside the ministry's network. The reference material is thousands of "
        "scanned regulations.",
        {"own_infrastructure": True, "knowledge_size": "large"},
    ),
    (
        "Speed isn't a concern, reports are generated nightly. Each generated report is about 3 pages long.",
        {"latency_sensitive": False, "output_tokens": 1950},
    ),
    (
        "The product FAQ is short, maybe 30 questions, it easily fits in the system prompt. We have a golden set "
        "of 120 chats with ideal replies to score changes against.",
        {"knowledge_size": "small", "has_eval_set": True},
    ),
    (
        "The chatbot should check whether a parcel has shipped by querying our logistics database at request "
        "time. Customer messages are typically 2-3 sentences.",
        {"live_data": True, "input_tokens": 75},
    ),
    (
        "We can't send any of this to an external API; the model runs on our own GPUs. We haven't built a test set yet.",
        {"own_infrastructure": True, "has_eval_set": False},
    ),
]

HELDOUT_NEW_HE: list[Case] = [
    (
        "בוט תמיכה לאפליקציית ההזמנות שלנו. הוא צריך להגיד לאורחים מה מצב ההזמנה שלהם, ולכן פונה ל-API של ההזמנות "
        "בכל שאלה. התשובות הן שני משפטים ואמורות להופיע תוך פחות משתי שניות.",
        {"live_data": True, "output_tokens": 50, "latency_sensitive": True},
    ),
    (
        "אנחנו קבוצת בתי חולים; סיכומי המטופלים לא יוצאים מחוות השרתים שלנו בשום מצב. המודל יסכם מכתבי שחרור, כל אחד "
        "בערך 1,500 מילים, בלילה באצווה.",
        {"own_infrastructure": True, "input_tokens": 2000, "latency_sensitive": False},
    ),
    (
        "כל חומר הרקע הוא מדיניות ההחזרות שלנו, שנכנסת בשני עמודים. הכנו גם 40 שאלות בדיקה עם תשובות שהמחלקה המשפטית אישרה.",
        {"knowledge_size": "small", "has_eval_set": True},
    ),
    (
        "בוויקי ההנדסי שלנו יש בערך 12,000 עמודים, הרבה יותר מדי בשביל להדביק בפרומפט. התשובה צריכה להיות פסקה עם קישורים.",
        {"knowledge_size": "large", "output_tokens": 130},
    ),
    (
        "עשינו fine-tuning ל-gpt-4.1-mini ב-OpenAI לפני שלושה שבועות בשביל צוות אחר, כך שהארגון שלנו עדיין יכול להריץ "
        "משימות אימון. הפעם הקלט הוא מייל של לקוח, בערך 300 טוקנים.",
        {"openai_can_tune": "yes", "input_tokens": 300},
    ),
    (
        "עדיין אין לנו סט הערכה; אנחנו שופטים את התשובות בעין. API מתארח מתאים לנו, אין בנתונים שום דבר רגיש.",
        {"has_eval_set": False, "own_infrastructure": False},
    ),
    (
        "נציגים שואלים את העוזר מה היתרה העדכנית בחשבון של לקוח ומה התשלומים האחרונים, ישירות ממערכת הליבה הבנקאית. "
        "זמן התגובה קריטי: זה יושב במסך השיחה של הנציג.",
        {"live_data": True, "latency_sensitive": True},
    ),
    (
        "בחשבון ה-OpenAI שלנו אף פעם לא הרצנו fine-tuning, וקראתי שהם כבר לא מאפשרים לארגונים חדשים להתחיל. הפלט הוא "
        "משפט קצר אחד.",
        {"openai_can_tune": "no", "output_tokens": 25},
    ),
    (
        "הכל חייב לרוץ ברשת סגורה בתוך המשרד, בלי חיבור החוצה. חומר הרקע הוא אלפי תקנות סרוקות.",
        {"own_infrastructure": True, "knowledge_size": "large"},
    ),
    (
        "מהירות היא לא שיקול, הדוחות נוצרים כל לילה. כל דוח שנוצר הוא בערך 3 עמודים.",
        {"latency_sensitive": False, "output_tokens": 1950},
    ),
    (
        "שאלות הנפוצות של המוצר קצרות, אולי 30 שאלות, זה נכנס בקלות בפרומפט המערכת. יש לנו סט זהב של 120 שיחות עם "
        "תשובות אידיאליות כדי למדוד שינויים.",
        {"knowledge_size": "small", "has_eval_set": True},
    ),
    (
        "הצ'אטבוט צריך לבדוק אם חבילה נשלחה על ידי שאילתה למסד הנתונים הלוגיסטי שלנו בזמן הבקשה. ההודעות של הלקוחות "
        "הן בדרך כלל 2-3 משפטים.",
        {"live_data": True, "input_tokens": 75},
    ),
    (
        "אסור לנו לשלוח את זה ל-API חיצוני; המודל רץ על ה-GPU שלנו. עוד לא בנינו סט בדיקות.",
        {"own_infrastructure": True, "has_eval_set": False},
    ),
]
