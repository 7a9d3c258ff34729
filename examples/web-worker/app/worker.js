// The worker process: a loop standing in for a job queue consumer.
let jobs = 0;
const timer = setInterval(() => console.log(`${process.env.DYNO}: processed job ${++jobs}`), 5000);
process.on("SIGTERM", () => {
  clearInterval(timer);
  console.log(`${process.env.DYNO}: finishing after ${jobs} jobs`);
  process.exit(0);
});
