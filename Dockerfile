FROM python:3.11-slim
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir -e . && pybabel compile -d locales -D messages || true
EXPOSE 8000
CMD ["sh", "-c", "connect-energy db upgrade && connect-energy serve --host 0.0.0.0 --port 8000"]
