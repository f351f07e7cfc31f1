"""What the OpenDose and SIREN demos (ci/demo_opendose.py, ci/demo_siren.py)
share: waiting with visible progress, and the table of services."""
import time


def wait_for(step, timeout, log, what):
    """Calls step() every 2 s until it gives (True, line, result); logs each
    new progress line; RuntimeError naming what, with the last line, after
    timeout s. A step raising RuntimeError (a task restarting) is retried."""
    deadline, last = time.monotonic() + timeout, None
    while True:
        try:
            done, line, result = step()
        except RuntimeError as e:
            done, line, result = False, f"waiting ({e})", None
        if line != last:
            log(line)
            last = line
        if done:
            return result
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not everything arrived within {timeout} s: {last}")
        time.sleep(2)


def print_head(c, title, stacks):
    """A summary's title, then the services of stacks ([(stack, files)])
    and their health, a Markdown table."""
    print()
    print(title)
    print()
    print("| service | health |")
    print("|---|---|")
    for stack, _ in stacks:
        for s in c.services(stack):
            print(f"| {s} | {c.health(s)} |")
    print()
