print("ringproxy: under construction")
