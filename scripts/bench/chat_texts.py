"""The hand-written texts of the load phase's real-chat length mix (scripts/bench/chat_mix.py).

Written for this benchmark in the shape of real chat first turns (no public prompt text): many
short questions, some medium requests, and pasted code, logs, tracebacks and prose that
chat_mix.py cuts to the lengths of the long tail. Every intent and several languages appear.
"""

# Chinese and Russian prompts use their own punctuation and letters, which ruff takes for look-alikes
# of ASCII; they are meant.
# ruff: noqa: RUF001

from __future__ import annotations

from typing import Final

# Up to 50 characters: greetings, one-line asks, fragments.
SHORT: Final[tuple[str, ...]] = (
    "hi",
    "hello, are you there?",
    "what is 17% of 2,340?",
    "python list to set",
    "regex for an email address",
    "is 1001 a prime number?",
    "give me a name for a bakery",
    "how do I undo a git commit",
    "translate 'good morning' to Italian",
    "capital of Australia",
    "write a haiku about rain",
    "docker remove all stopped containers",
    "what does HTTP 418 mean",
    "sum of the first 100 odd numbers",
    "tips for a job interview tomorrow",
    "bash loop over files in a folder",
    "convert 72 F to Celsius",
    "why is the sky blue",
    "sql count distinct users per day",
    "derivative of x^3 * ln(x)",
    "ok thanks",
    "¿Qué hora es en Tokio?",
    "Wie koche ich Reis?",
    "写一个快速排序",
    "Résume la Révolution française",
    "Как выучить английский быстро?",
    "日本の首都はどこですか",
)

# 51 to 200 characters: one clear request.
MEDIUM: Final[tuple[str, ...]] = (
    "Write a Python function that returns the n-th Fibonacci number without recursion.",
    "Explain the difference between a process and a thread like I'm a new developer.",
    "A train leaves at 9:40 and travels 210 km at 84 km/h. When does it arrive? Show the steps.",
    "Give me three ideas for a birthday party for a ten-year-old who loves dinosaurs.",
    "How do I make a React component re-render only when one prop changes?",
    "If all bloops are razzies and some razzies are lazzies, are some bloops lazzies? Explain.",
    "Write a short, polite email asking my landlord to fix the heating this week.",
    "What's the time complexity of inserting into a Python dict, and why is it amortised?",
    "Prove that the square root of 2 is irrational, and say where the proof uses that 2 is prime.",
    "Suggest a 3-day itinerary for Lisbon on a small budget.",
    "My Go program panics with 'assignment to entry in nil map'. What does that mean?",
    "A bag has 4 red and 6 blue marbles. I draw two without replacement. P(both red)?",
    "Summarise the plot of Hamlet in five sentences for a student who has not read it.",
    "Write a TypeScript type for a JSON object whose values are strings or numbers.",
    "What are the pros and cons of renting versus buying a flat in a big city?",
    "How many handshakes happen if 12 people each shake hands with everyone else once?",
    "Write a cover letter opening line for a junior data analyst position.",
    "Why does my CSS flexbox not center the item vertically? The parent has height: auto.",
    "Solve for x: 3x + 7 = 2(x - 4) + 19, and check your answer.",
    "Recommend five science fiction novels for someone who liked The Martian.",
    "Explain what a Kubernetes liveness probe is and when it restarts a pod.",
    "Is it safe to eat rice that was left out overnight?",
    "Écris une fonction JavaScript qui inverse une chaîne de caractères, avec un exemple.",
    "Erkläre mir den Unterschied zwischen TCP und UDP in einfachen Worten.",
    "¿Cuántos números de tres cifras tienen todas sus cifras distintas? Explica el razonamiento.",
    "用Python读取一个CSV文件并计算每一列的平均值，跳过非数字的列，并把结果保存到一个新的CSV文件里。请给出完整代码和注释。",
    "Qual é a melhor forma de estudar para uma prova de matemática em uma semana?",
    "Напиши короткое поздравление с днём рождения для коллеги.",
    "Write a limerick about a cat who learns to code and keeps walking on the keyboard.",
    "What is the expected number of coin flips to get two heads in a row?",
)

# 201 to 600 characters: requests with some detail.
DETAILED: Final[tuple[str, ...]] = (
    "I'm building a small Flask app with a SQLite database. Users can post comments, and I want "
    "to paginate them 20 per page, newest first. Show me the route, the query with LIMIT and "
    "OFFSET, and a minimal Jinja template with next/previous links. Keep it simple, no ORM.",
    "My sister and I are planning a two-week road trip through the south of France in late "
    "September. We like small villages, markets and easy hikes, not big cities. We'll rent a car "
    "in Marseille. Could you suggest a route with where to stay each night?",
    "Three friends split a restaurant bill. Anna paid twice as much as Ben, and Ben paid 12 euros "
    "more than Carla. Together they paid 132 euros. How much did each pay? Please set up the "
    "equations and solve them step by step, then check the answer.",
    "I have a pandas DataFrame with columns date, store_id and sales. I need the 7-day rolling "
    "average of sales per store, but some days are missing for some stores and should count as "
    "zero. What's the cleanest way to do this without a Python loop over stores?",
    "Can you rewrite this paragraph so it sounds more professional? 'hey team, so the release "
    "is gonna slip a bit because QA found some stuff, we'll probably ship next thursday if "
    "nothing else blows up, sorry about that, will keep u posted'",
    "A snail climbs 3 metres up a 20-metre well each day and slides back 2 metres each night. "
    "On which day does it reach the top? Many people answer 20; explain carefully why that is "
    "or is not right, and generalise to a well of height h.",
    "What should I look for when buying a used bicycle for commuting? I'm 1.80 m tall, the "
    "commute is 8 km each way with one long hill, and my budget is around 300 euros. I don't "
    "know much about gears or brakes.",
    "Write a bash script that finds all .log files older than 14 days under /var/log/myapp, "
    "compresses them with gzip, and deletes compressed files older than 90 days. It should "
    "print what it does and exit non-zero if any step fails.",
    "Explain how public-key cryptography lets two people who have never met agree on a secret "
    "over an open channel. Use an analogy first, then the actual maths of Diffie-Hellman with "
    "small numbers so I can follow it by hand.",
    "I need a SQL query for PostgreSQL: tables orders(id, customer_id, created_at, total) and "
    "customers(id, name, country). For each country, the top 3 customers by total spend in "
    "2025, with their rank. Ties should share a rank.",
    "My manager asked me to give feedback on a colleague who is very smart but often misses "
    "deadlines and doesn't tell anyone until the last minute. How do I say this honestly "
    "without damaging our relationship? Give me a few sentences I could actually use.",
    "Prove by induction that 1^3 + 2^3 + ... + n^3 = (1 + 2 + ... + n)^2 for every positive "
    "integer n. Please write out the base case and the inductive step fully, and explain the "
    "algebra in the inductive step rather than skipping it.",
    "I'm learning Rust. Why does the borrow checker reject pushing to a Vec while I hold a "
    "reference to one of its elements? Show a small example that fails, explain the error, and "
    "show two ways to fix it, and say which one you would pick in a real project.",
    "Give me a weekly meal plan for a family of four, vegetarian, with lunches that can be "
    "packed for school. We have about 40 minutes to cook on weekdays. Include a shopping list "
    "grouped by supermarket section.",
    "What are the main differences between the causes of the First and the Second World War? I "
    "need a structured answer for a history essay, with a few points on each and how the first "
    "war's ending fed into the second.",
    "Ich habe eine Excel-Tabelle mit Umsätzen pro Monat und Filiale. Wie erstelle ich eine "
    "Pivot-Tabelle, die für jede Filiale den Durchschnitt und das Maximum zeigt, und wie "
    "aktualisiere ich sie, wenn neue Monate dazukommen?",
    "Un fermier a des poules et des lapins. Il compte 35 têtes et 94 pattes. Combien a-t-il de "
    "poules et de lapins ? Explique la méthode avec un système d'équations, puis une méthode "
    "sans algèbre pour un enfant de dix ans.",
    "Estoy preparando una presentación de diez minutos sobre energías renovables para mi clase "
    "de secundaria. ¿Me ayudas con un esquema de diapositivas, con una idea principal por "
    "diapositiva y una pregunta para el público al final?",
    "我想用JavaScript写一个防抖函数（debounce），要求支持立即执行选项和取消功能。请给出"
    "实现代码，并解释每一部分的作用，再给一个在输入框搜索中使用的例子。另外请说明防抖和节流"
    "的区别，以及各自适合的场景。最后请补充一下在React组件里使用时需要注意的问题，比如组件卸载时如何清理定时器。"
    "我们的项目用的是TypeScript，所以希望代码带有完整的类型定义，泛型参数要能保留原函数的参数类型和返回值类型。如果可以的话，也请写两三个简单的单元测试，用Jest的假定时器来验证等待时间和取消逻辑是否正确。",
    "Write a short story opening, about 150 words, set in a lighthouse during a storm, from "
    "the point of view of the keeper's daughter who has just seen a light where no ship should "
    "be. Make the last sentence a hook.",
)

PYTHON_MODULE: Final = '''\
"""Order reservation: holds stock for an order until it is paid or expires."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)
HOLD_SECONDS = 15 * 60


@dataclass
class Item:
    sku: str
    quantity: int


@dataclass
class Hold:
    order_id: int
    items: list[Item]
    created: float = field(default_factory=time.time)

    def expired(self, now: float) -> bool:
        return now - self.created > HOLD_SECONDS


class Inventory:
    def __init__(self, stock: dict[str, int]) -> None:
        self.stock = dict(stock)
        self.holds: dict[int, Hold] = {}

    def available(self, sku: str) -> int:
        held = sum(i.quantity for h in self.holds.values() for i in h.items if i.sku == sku)
        return self.stock.get(sku, 0) - held

    def reserve(self, order_id: int, items: list[Item]) -> bool:
        self.release_expired()
        for item in items:
            if self.available(item.sku) < item.quantity:
                logger.info("order %s: not enough %s", order_id, item.sku)
                return False
        self.holds[order_id] = Hold(order_id, items)
        return True

    def confirm(self, order_id: int) -> None:
        hold = self.holds.pop(order_id)
        for item in hold.items:
            self.stock[item.sku] -= item.quantity

    def cancel(self, order_id: int) -> None:
        self.holds.pop(order_id, None)

    def release_expired(self) -> None:
        now = time.time()
        for order_id, hold in self.holds.items():
            if hold.expired(now):
                logger.info("order %s: hold expired", order_id)
                del self.holds[order_id]


def restock(inventory: Inventory, deliveries: list[tuple[str, int]]) -> None:
    for sku, quantity in deliveries:
        if quantity <= 0:
            raise ValueError(f"delivery of {quantity} x {sku}")
        inventory.stock[sku] = inventory.stock.get(sku, 0) + quantity


def report(inventory: Inventory) -> str:
    lines = []
    for sku in sorted(inventory.stock):
        lines.append(f"{sku:<12} {inventory.stock[sku]:>6} {inventory.available(sku):>6}")
    return "\\n".join(lines)


if __name__ == "__main__":
    shop = Inventory({"mug-blue": 12, "mug-red": 3, "poster-a2": 40})
    print(shop.reserve(1, [Item("mug-red", 2)]))
    print(shop.reserve(2, [Item("mug-red", 2)]))
    shop.confirm(1)
    restock(shop, [("mug-red", 10), ("tea-towel", 25)])
    print(report(shop))
'''

TRACEBACK: Final = '''\
Traceback (most recent call last):
  File "/srv/shop/app/worker.py", line 88, in run
    inventory.reserve(order.id, order.items)
  File "/srv/shop/app/inventory.py", line 39, in reserve
    self.release_expired()
  File "/srv/shop/app/inventory.py", line 57, in release_expired
    for order_id, hold in self.holds.items():
RuntimeError: dictionary changed size during iteration
'''

JS_COMPONENT: Final = '''\
import { useEffect, useState } from "react";

export function OrderList({ customerId }) {
  const [orders, setOrders] = useState([]);
  const [page, setPage] = useState(1);
  const [loading, setLoading] = useState(false);

  useEffect(() => {
    setLoading(true);
    fetch(`/api/customers/${customerId}/orders?page=${page}`)
      .then((res) => res.json())
      .then((data) => {
        setOrders([...orders, ...data.items]);
        setLoading(false);
      });
  }, [page]);

  return (
    <div className="orders">
      {orders.map((o) => (
        <div key={o.id} className="order">
          <span>#{o.id}</span> <span>{o.status}</span> <span>{o.total.toFixed(2)} EUR</span>
        </div>
      ))}
      <button disabled={loading} onClick={() => setPage(page + 1)}>
        {loading ? "Loading..." : "Load more"}
      </button>
    </div>
  );
}
'''

ESSAY: Final = (
    "When our town closed the old library on Bridge Street, most people assumed the building "
    "would become flats. Instead a group of retired teachers, two carpenters and a baker who "
    "needed a second oven asked the council for a five-year lease, and the place turned into "
    "something nobody had planned: a workshop in the mornings, a homework club after school, "
    "and on Fridays a long table where anyone could bring food and eat with strangers. The "
    "council was sceptical at first, because the roof leaked and the heating was older than "
    "most of the volunteers, but the first winter proved them wrong. Children who had never "
    "held a saw built bookshelves for the reading corner; a man who had not spoken to his "
    "neighbours in years ended up running the repair café; the baker sold bread at cost and "
    "taught teenagers to make it. Not everything worked. The evening language classes faded "
    "after a month, a flood in February ruined half the donated books, and arguments about who "
    "had the keys nearly split the group. What kept it going, I think, was that nobody tried to "
    "make it efficient. There was no plan for growth, no app, no membership fee, only a board "
    "by the door where people wrote what they could offer and what they needed. Economists "
    "would call it a commons, and they would point out that commons tend to fail when they get "
    "too large to know everyone's face. Perhaps that is the real lesson: some good things only "
    "stay good as long as they stay small, and the hardest discipline for a successful project "
    "is to refuse the invitation to expand. Next year the lease ends, and the council has asked "
    "us for a business plan."
)

WORD_PROBLEM: Final = (
    "A warehouse ships parcels with three vans. Van A carries at most 40 parcels per trip and a "
    "trip takes 50 minutes; van B carries at most 25 parcels and a trip takes 30 minutes; van C "
    "carries at most 60 parcels but a trip takes 80 minutes, and it needs a 10-minute break after "
    "every second trip. The vans start together at 08:00 and must be back by 12:00. Parcels for "
    "the same street must travel on the same trip, and the streets today have 14, 22, 9, 31, 17, "
    "26, 12, 38, 7 and 19 parcels. Which assignment of streets to trips delivers every parcel "
    "before noon, if one exists, and what is the earliest time the last van can be back? Explain "
    "how you search the possibilities rather than just giving an answer, and say whether your "
    "method would still work for fifty streets."
)

CSV_HEADER: Final = "date,store,product,units,unit_price,returned"
STORES: Final = ("north", "harbour", "station", "old-town")
PRODUCTS: Final = ("mug-blue", "mug-red", "poster-a2", "tea-towel", "notebook")
LOG_EVENTS: Final = (
    "INFO  worker-{w} order {o} reserved {n} items in {ms} ms",
    "INFO  worker-{w} order {o} confirmed, payment ref PAY-{o}{n}",
    "WARN  worker-{w} order {o} payment provider slow: {ms} ms",
    "INFO  http GET /api/orders/{o} 200 {ms}ms",
    "ERROR worker-{w} order {o} reserve failed: RuntimeError: dictionary changed size during iteration",
    "DEBUG scheduler release_expired scanned {n} holds in {ms} ms",
)
