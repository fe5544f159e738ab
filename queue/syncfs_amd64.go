package queue

const isAMD64 = true
