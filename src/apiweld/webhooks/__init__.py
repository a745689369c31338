"""apiweld.webhooks"""
